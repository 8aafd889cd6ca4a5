#include "metrics/window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace tidegate::metrics {
namespace {

using std::chrono::seconds;

constexpr ShardLayout kLayout{.counters = 2, .gauges = 2, .histograms = 2};

TEST(Agg, Parse) {
  EXPECT_EQ(Agg::parse("rate")->kind, Agg::Kind::kRate);
  EXPECT_EQ(Agg::parse("sum")->kind, Agg::Kind::kSum);
  EXPECT_EQ(Agg::parse("count")->kind, Agg::Kind::kCount);
  EXPECT_EQ(Agg::parse("avg")->kind, Agg::Kind::kAvg);
  EXPECT_EQ(Agg::parse("min")->kind, Agg::Kind::kMin);
  EXPECT_EQ(Agg::parse("max")->kind, Agg::Kind::kMax);
  EXPECT_EQ(Agg::parse("last")->kind, Agg::Kind::kLast);
  EXPECT_DOUBLE_EQ(Agg::parse("p50")->quantile, 0.5);
  EXPECT_DOUBLE_EQ(Agg::parse("p99")->quantile, 0.99);
  EXPECT_DOUBLE_EQ(Agg::parse("p99.9")->quantile, 0.999);
  EXPECT_DOUBLE_EQ(Agg::parse("p999")->quantile, 0.999);
  EXPECT_DOUBLE_EQ(Agg::parse("p100")->quantile, 1.0);
  EXPECT_DOUBLE_EQ(Agg::parse("p0")->quantile, 0.0);
  for (const char* bad : {"", "p", "p-1", "p101", "p9x", "px", "median", "P99", "p99 "}) {
    EXPECT_FALSE(Agg::parse(bad).has_value()) << bad;
  }
}

TEST(WindowStore, EmptyStoreAnswersNothing) {
  WindowStore w;
  EXPECT_FALSE(w.lastSecond().has_value());
  EXPECT_FALSE(w.query(CounterId{0}, Agg::of(Agg::Kind::kRate), seconds(10)).has_value());
}

TEST(WindowStore, CounterRateSumMinMaxOverTheLastSeconds) {
  WindowStore w;
  // Seconds 100..119: second s adds s - 100 (0, 1, …, 19).
  for (int64_t s = 100; s < 120; ++s) {
    w.beginSecond(s, kLayout);
    w.addCounter(CounterId{0}, static_cast<uint64_t>(s - 100));
  }
  EXPECT_EQ(w.lastSecond(), 119);
  auto q = [&](Agg agg, int window) { return w.query(CounterId{0}, agg, seconds(window)); };
  // Last 10 seconds: 10..19.
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kSum), 10), 145.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kRate), 10), 14.5);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kMin), 10), 10.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kMax), 10), 19.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kLast), 10), 19.0);
  EXPECT_DOUBLE_EQ(*q(Agg::percentile(0.5), 10), 14.0);
  // A window longer than the series' life covers its life (20 s), not the nominal 60 s.
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kRate), 60), 190.0 / 20.0);
  EXPECT_FALSE(q(Agg::of(Agg::Kind::kRate), 0).has_value());
  EXPECT_FALSE(q(Agg::percentile(1.5), 10).has_value());
  EXPECT_FALSE(w.query(CounterId{7}, Agg::of(Agg::Kind::kRate), seconds(10)).has_value());
}

TEST(WindowStore, GaugesSkipSecondsWithoutASample) {
  WindowStore w;
  const double values[] = {3, 9, NAN, 1, 6};
  for (int i = 0; i < 5; ++i) {
    w.beginSecond(10 + i, kLayout);
    w.setGauge(GaugeId{0}, values[i]);
  }
  auto q = [&](Agg agg) { return w.query(GaugeId{0}, agg, seconds(60)); };
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kAvg)), 19.0 / 4);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kMax)), 9.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kMin)), 1.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kLast)), 6.0);
  EXPECT_DOUBLE_EQ(*q(Agg::of(Agg::Kind::kCount)), 4.0);
  EXPECT_FALSE(q(Agg::of(Agg::Kind::kRate)).has_value());  // no rate of a gauge
  EXPECT_FALSE(q(Agg::of(Agg::Kind::kSum)).has_value());
  EXPECT_FALSE(w.query(GaugeId{1}, Agg::of(Agg::Kind::kAvg), seconds(60)).has_value());
}

TEST(WindowStore, HistogramPercentilesMergeAcrossSeconds) {
  WindowStore w;
  std::mt19937_64 rng(11);
  std::vector<uint64_t> all;
  for (int64_t s = 0; s < 30; ++s) {
    w.beginSecond(s, kLayout);
    Histogram delta;
    // Each second has its own latency level, so only a real merge gets the percentile right.
    std::lognormal_distribution<double> d(std::log(1000.0 * (1 + s % 7)), 0.5);
    for (int i = 0; i < 1000; ++i) {
      const uint64_t v = static_cast<uint64_t>(d(rng));
      delta.record(v);
      if (s >= 10) all.push_back(v);
    }
    w.addHistogram(HistogramId{0}, delta);
  }
  std::sort(all.begin(), all.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact =
        static_cast<double>(all[static_cast<size_t>(std::ceil(q * all.size())) - 1]);
    auto got = w.query(HistogramId{0}, Agg::percentile(q), seconds(20));
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(std::abs(*got - exact), 0.01 * exact) << "q=" << q;
  }
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kCount), seconds(20)), 20000.0);
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kRate), seconds(20)), 1000.0);
  uint64_t sum = 0;
  for (uint64_t v : all)
    sum += v;
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kSum), seconds(20)),
                   static_cast<double>(sum));
  EXPECT_NEAR(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kAvg), seconds(20)),
              static_cast<double>(sum) / all.size(), 1e-6);
  EXPECT_NEAR(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kMin), seconds(20)),
              static_cast<double>(all.front()), 0.008 * all.front());
  EXPECT_NEAR(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kMax), seconds(20)),
              static_cast<double>(all.back()), 0.008 * all.back());
  // An empty histogram has a rate (0) but no percentile.
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{1}, Agg::of(Agg::Kind::kRate), seconds(20)), 0.0);
  EXPECT_FALSE(w.query(HistogramId{1}, Agg::percentile(0.99), seconds(20)).has_value());
  EXPECT_FALSE(w.query(HistogramId{1}, Agg::of(Agg::Kind::kLast), seconds(20)).has_value());
}

TEST(WindowStore, RingWrapsAfterFifteenMinutes) {
  WindowStore w;
  // 1000 seconds: one increment per second for the first 100, then ten per second.
  for (int64_t s = 0; s < 1000; ++s) {
    w.beginSecond(s, kLayout);
    w.addCounter(CounterId{0}, s < 100 ? 1 : 10);
    w.setGauge(GaugeId{0}, static_cast<double>(s));
  }
  // The last 900 seconds are 100..999: all tens. The first 100 seconds are gone.
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kSum), seconds(900)), 9000.0);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kMin), seconds(900)), 10.0);
  // Longer windows are clamped to what the ring holds.
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kSum), seconds(3600)), 9000.0);
  EXPECT_DOUBLE_EQ(*w.query(GaugeId{0}, Agg::of(Agg::Kind::kMin), seconds(3600)), 100.0);
  EXPECT_DOUBLE_EQ(*w.query(GaugeId{0}, Agg::of(Agg::Kind::kMax), seconds(60)), 999.0);
  EXPECT_DOUBLE_EQ(*w.query(GaugeId{0}, Agg::of(Agg::Kind::kMin), seconds(60)), 940.0);
}

TEST(WindowStore, SkippedSecondsReadAsEmptyAndARepeatedSecondAccumulates) {
  WindowStore w;
  w.beginSecond(50, kLayout);
  w.addCounter(CounterId{0}, 5);
  w.setGauge(GaugeId{0}, 1);
  w.beginSecond(50, kLayout);  // the same second again: adds up
  w.addCounter(CounterId{0}, 5);
  Histogram a, b;
  a.record(10);  // below 128: exact buckets
  a.record(30);
  b.record(20);
  b.record(30);
  w.addHistogram(HistogramId{0}, a);
  w.addHistogram(HistogramId{0}, b);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kSum), seconds(1)), 10.0);
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kCount), seconds(1)), 4.0);
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::percentile(0.5), seconds(1)), 20.0);
  EXPECT_DOUBLE_EQ(*w.query(HistogramId{0}, Agg::of(Agg::Kind::kMax), seconds(1)), 30.0);

  w.beginSecond(60, kLayout);  // 51..59 never folded
  w.addCounter(CounterId{0}, 1);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kSum), seconds(11)), 11.0);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kRate), seconds(10)), 0.1);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kMin), seconds(10)), 0.0);
  EXPECT_DOUBLE_EQ(*w.query(GaugeId{0}, Agg::of(Agg::Kind::kCount), seconds(11)), 1.0);
  EXPECT_FALSE(w.query(GaugeId{0}, Agg::of(Agg::Kind::kAvg), seconds(10)).has_value());

  // A jump longer than the ring clears it all, including slots that wrap onto old data.
  w.beginSecond(60 + 5000, kLayout);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kSum), seconds(900)), 0.0);
}

TEST(WindowStore, SeveralSeriesCombinePerSecond) {
  WindowStore w;
  for (int64_t s = 0; s < 10; ++s) {
    w.beginSecond(s, kLayout);
    w.addCounter(CounterId{0}, 2);
    w.addCounter(CounterId{1}, s % 2 ? 8 : 0);
    w.setGauge(GaugeId{0}, 1);
    w.setGauge(GaugeId{1}, static_cast<double>(s));
    Histogram h0, h1;
    h0.record(10);
    h1.record(1000);
    w.addHistogram(HistogramId{0}, h0);
    w.addHistogram(HistogramId{1}, h1);
  }
  const SeriesRef counters[] = {CounterId{0}, CounterId{1}};
  EXPECT_DOUBLE_EQ(*w.query(counters, Agg::of(Agg::Kind::kRate), seconds(10)), 6.0);
  EXPECT_DOUBLE_EQ(*w.query(counters, Agg::of(Agg::Kind::kMax), seconds(10)), 10.0);
  EXPECT_DOUBLE_EQ(*w.query(counters, Agg::of(Agg::Kind::kMin), seconds(10)), 2.0);
  const SeriesRef gauges[] = {GaugeId{0}, GaugeId{1}};
  EXPECT_DOUBLE_EQ(*w.query(gauges, Agg::of(Agg::Kind::kLast), seconds(10)), 10.0);
  const SeriesRef histograms[] = {HistogramId{0}, HistogramId{1}};
  EXPECT_DOUBLE_EQ(*w.query(histograms, Agg::of(Agg::Kind::kRate), seconds(10)), 2.0);
  EXPECT_DOUBLE_EQ(*w.query(histograms, Agg::percentile(0.5), seconds(10)), 10.0);
  EXPECT_NEAR(*w.query(histograms, Agg::percentile(0.51), seconds(10)), 1000.0, 8.0);
  const SeriesRef mixed[] = {CounterId{0}, GaugeId{0}};
  EXPECT_FALSE(w.query(mixed, Agg::of(Agg::Kind::kAvg), seconds(10)).has_value());
  EXPECT_FALSE(w.query(std::span<const SeriesRef>(), Agg::of(Agg::Kind::kAvg), seconds(10)));
}

TEST(WindowStore, SeriesAddedLaterAreBornWhenTheyAppear) {
  WindowStore w;
  for (int64_t s = 0; s < 20; ++s) {
    w.beginSecond(s, s < 15 ? ShardLayout{.counters = 1} : ShardLayout{.counters = 2});
    w.addCounter(CounterId{0}, 1);
    if (s >= 15) w.addCounter(CounterId{1}, 4);
  }
  EXPECT_DOUBLE_EQ(*w.query(CounterId{1}, Agg::of(Agg::Kind::kRate), seconds(60)), 4.0);
  EXPECT_DOUBLE_EQ(*w.query(CounterId{0}, Agg::of(Agg::Kind::kRate), seconds(60)), 1.0);
}

}  // namespace
}  // namespace tidegate::metrics
