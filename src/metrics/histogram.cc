#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>

namespace tidegate::metrics {

static_assert(Histogram::kBucketCount == 2240);
static_assert(Histogram::bucketIndex(127) == 127 && Histogram::bucketIndex(128) == 128);
static_assert(Histogram::bucketLowest(Histogram::bucketIndex(1000)) <= 1000 &&
              Histogram::bucketHighest(Histogram::bucketIndex(1000)) >= 1000);
static_assert(Histogram::bucketIndex(Histogram::kMaxTrackable) == Histogram::kBucketCount - 1);
static_assert(Histogram::bucketHighest(Histogram::kBucketCount - 1) == Histogram::kMaxTrackable);

void Histogram::record(uint64_t value, uint64_t n) {
  if (n == 0) return;
  const uint32_t index = bucketIndex(value);
  counts_[index] += n;
  touch(index);
  count_ += n;
  sum_ += value * n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::addBucketCount(uint32_t index, uint64_t n) {
  if (n == 0 || index >= kBucketCount) return;
  counts_[index] += n;
  touch(index);
  count_ += n;
  min_ = std::min(min_, bucketLowest(index));
  max_ = std::max(max_, bucketHighest(index));
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (uint32_t i = other.lowest_index_; i <= other.highest_index_; ++i) {
    counts_[i] += other.counts_[i];
  }
  touch(other.lowest_index_);
  touch(other.highest_index_);
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::clear() {
  if (lowest_index_ <= highest_index_) {
    std::fill(counts_.begin() + lowest_index_, counts_.begin() + highest_index_ + 1, 0);
  }
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  lowest_index_ = kBucketCount;
  highest_index_ = 0;
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (uint32_t i = lowest_index_; i <= highest_index_; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(bucketValue(i), static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);  // unreachable while counts_ and count_ agree
}

uint64_t Histogram::cumulativeCountAtOrBelow(uint64_t bound) const {
  if (count_ == 0) return 0;
  const uint32_t last = std::min(bucketIndex(bound), highest_index_);
  uint64_t below = 0;
  for (uint32_t i = lowest_index_; i <= last; ++i)
    below += counts_[i];
  return below;
}

}  // namespace tidegate::metrics
