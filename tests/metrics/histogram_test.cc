#include "metrics/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace tidegate::metrics {
namespace {

// The nearest-rank quantile of sorted data: the ceil(q * n)-th smallest value.
uint64_t exactQuantile(const std::vector<uint64_t>& sorted, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expectQuantilesWithin1Percent(std::vector<uint64_t> values, const char* what) {
  Histogram h;
  for (uint64_t v : values)
    h.record(v);
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = static_cast<double>(exactQuantile(values, q));
    const double got = h.quantile(q);
    EXPECT_LE(std::abs(got - exact), 0.01 * exact) << what << " q=" << q << " exact=" << exact;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
}

TEST(HistogramLayout, EveryValueLandsInABucketThatHoldsIt) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const uint32_t index = Histogram::bucketIndex(v);
    ASSERT_LT(index, Histogram::kBucketCount);
    const uint64_t clamped = std::min(v, Histogram::kMaxTrackable);
    ASSERT_LE(Histogram::bucketLowest(index), clamped) << v;
    ASSERT_GE(Histogram::bucketHighest(index), clamped) << v;
  }
}

TEST(HistogramLayout, BucketsTileTheRangeWithoutGaps) {
  for (uint32_t i = 1; i < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::bucketLowest(i), Histogram::bucketHighest(i - 1) + 1) << i;
  }
  EXPECT_EQ(Histogram::bucketLowest(0), 0u);
  EXPECT_EQ(Histogram::bucketHighest(Histogram::kBucketCount - 1), Histogram::kMaxTrackable);
}

TEST(HistogramLayout, MidpointIsWithinOnePercentOfEveryValueInTheBucket) {
  for (uint32_t i = 1; i < Histogram::kBucketCount; ++i) {
    const double mid = Histogram::bucketValue(i);
    const double lowest = static_cast<double>(Histogram::bucketLowest(i));
    const double highest = static_cast<double>(Histogram::bucketHighest(i));
    ASSERT_LE(mid - lowest, 0.0079 * lowest) << i;
    ASSERT_LE(highest - mid, 0.0079 * highest) << i;
  }
}

TEST(HistogramLayout, SmallValuesAreExact) {
  for (uint64_t v = 0; v < 128; ++v) {
    EXPECT_EQ(Histogram::bucketIndex(v), v);
    EXPECT_EQ(Histogram::bucketValue(Histogram::bucketIndex(v)), static_cast<double>(v));
  }
}

TEST(HistogramAccuracy, UniformMicroseconds) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> d(100, 2'000'000);
  std::vector<uint64_t> v(200000);
  for (auto& x : v)
    x = d(rng);
  expectQuantilesWithin1Percent(std::move(v), "uniform");
}

TEST(HistogramAccuracy, LogNormalLatencies) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> d(std::log(20000.0), 1.0);  // median 20 ms in us
  std::vector<uint64_t> v(200000);
  for (auto& x : v)
    x = static_cast<uint64_t>(d(rng));
  expectQuantilesWithin1Percent(std::move(v), "lognormal");
}

TEST(HistogramAccuracy, ExponentialWithHeavyTail) {
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> d(1.0 / 5000.0);
  std::vector<uint64_t> v(200000);
  for (auto& x : v)
    x = static_cast<uint64_t>(d(rng));
  for (size_t i = 0; i < v.size(); i += 500)
    v[i] = 30'000'000 + i;  // 0.2% timeouts
  expectQuantilesWithin1Percent(std::move(v), "exponential+tail");
}

TEST(HistogramAccuracy, BimodalCacheHitsAndMisses) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> hit(300, 40), miss(45000, 8000);
  std::bernoulli_distribution is_hit(0.8);
  std::vector<uint64_t> v(200000);
  for (auto& x : v)
    x = static_cast<uint64_t>(std::max(1.0, is_hit(rng) ? hit(rng) : miss(rng)));
  expectQuantilesWithin1Percent(std::move(v), "bimodal");
}

TEST(HistogramAccuracy, ParetoSizesInBytes) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<uint64_t> v(200000);
  for (auto& x : v)
    x = static_cast<uint64_t>(200.0 / std::pow(1.0 - u(rng), 1.0 / 1.2));
  expectQuantilesWithin1Percent(std::move(v), "pareto");
}

TEST(HistogramAccuracy, SmallCountsAndTinyValues) {
  expectQuantilesWithin1Percent({5}, "one value");
  expectQuantilesWithin1Percent({0, 0, 1, 3, 3, 90}, "tiny");
  expectQuantilesWithin1Percent({1000, 1000000, 1000000000}, "spread");
}

TEST(Histogram, CountSumMinMaxMean) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.quantile(0.5), 0.0);
  EXPECT_EQ(h.min(), 0u);
  for (uint64_t v : {10, 20, 30, 40})
    h.record(v);
  h.record(1000, 2);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.sum(), 2100u);
  EXPECT_EQ(h.min(), 10u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 350.0);
}

TEST(Histogram, ValuesBeyondTheRangeShareTheLastBucketButKeepExactMaxAndSum) {
  Histogram h;
  h.record(UINT64_MAX / 4);
  EXPECT_EQ(h.max(), UINT64_MAX / 4);
  EXPECT_EQ(h.sum(), UINT64_MAX / 4);
  EXPECT_EQ(h.highestIndex(), Histogram::kBucketCount - 1);
  EXPECT_EQ(h.quantile(1.0), static_cast<double>(UINT64_MAX / 4));  // clamped to max: exact
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(6);
  Histogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const uint64_t v = rng() % 1'000'000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (uint32_t i = 0; i < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(a.bucketCount(i), all.bucketCount(i)) << i;
  }
  a.merge(Histogram());  // empty: no change
  EXPECT_EQ(a.count(), all.count());
}

TEST(Histogram, ClearEmptiesIt) {
  Histogram h;
  h.record(5);
  h.record(5000);
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.bucketCount(Histogram::bucketIndex(5000)), 0u);
  h.record(7);
  EXPECT_EQ(h.min(), 7u);
  EXPECT_EQ(h.max(), 7u);
}

TEST(Histogram, ForEachBucketVisitsNonEmptyBucketsInOrder) {
  Histogram h;
  h.record(3);
  h.record(3);
  h.record(1000);
  h.record(100000);
  std::vector<HistogramBucket> seen;
  h.forEachBucket([&](const HistogramBucket& b) { seen.push_back(b); });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].lowest, 3u);
  EXPECT_EQ(seen[0].highest, 3u);
  EXPECT_EQ(seen[0].count, 2u);
  EXPECT_LE(seen[1].lowest, 1000u);
  EXPECT_GE(seen[1].highest, 1000u);
  EXPECT_LE(seen[2].lowest, 100000u);
  EXPECT_GE(seen[2].highest, 100000u);
  EXPECT_LT(seen[1].index, seen[2].index);
}

TEST(Histogram, CumulativeCountAtOrBelow) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v)
    h.record(v);  // exact buckets
  EXPECT_EQ(h.cumulativeCountAtOrBelow(0), 0u);
  EXPECT_EQ(h.cumulativeCountAtOrBelow(1), 1u);
  EXPECT_EQ(h.cumulativeCountAtOrBelow(50), 50u);
  EXPECT_EQ(h.cumulativeCountAtOrBelow(100), 100u);
  EXPECT_EQ(h.cumulativeCountAtOrBelow(1'000'000), 100u);
  EXPECT_EQ(h.cumulativeCountAtOrBelow(UINT64_MAX), 100u);

  // Wide buckets count under a bound as soon as they start at or below it, so a value equal to
  // a bound is always under it.
  Histogram w;
  for (int i = 0; i < 64; ++i)
    w.record(1'000'000);
  w.record(5000);
  const uint32_t index = Histogram::bucketIndex(1'000'000);
  EXPECT_EQ(w.cumulativeCountAtOrBelow(Histogram::bucketLowest(index) - 1), 1u);
  EXPECT_EQ(w.cumulativeCountAtOrBelow(Histogram::bucketLowest(index)), 65u);
  EXPECT_EQ(w.cumulativeCountAtOrBelow(1'000'000), 65u);
  EXPECT_EQ(w.cumulativeCountAtOrBelow(5000), 1u);
  EXPECT_EQ(w.cumulativeCountAtOrBelow(4991), 0u);  // 5000 is in [4992, 5055]
}

TEST(Histogram, AddBucketCountWidensMinAndMaxToTheBucket) {
  Histogram h;
  const uint32_t index = Histogram::bucketIndex(50'000);
  h.addBucketCount(index, 3);
  h.addSum(150'000);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.sum(), 150'000u);
  EXPECT_EQ(h.min(), Histogram::bucketLowest(index));
  EXPECT_EQ(h.max(), Histogram::bucketHighest(index));
  EXPECT_NEAR(h.quantile(0.5), 50'000.0, 500.0);
}

}  // namespace
}  // namespace tidegate::metrics
