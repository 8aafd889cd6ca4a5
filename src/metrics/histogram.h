#pragma once
// Histogram: a log-linear histogram of uint64 values (latencies in microseconds, sizes in
// bytes) with HdrHistogram's bucket layout: <= 0.79% relative error at any quantile, a fixed
// bucket array allocated once, O(1) record. One owner thread (the control thread folds and
// queries these); workers record into ShardHistogram, which shares the layout.

#include <bit>
#include <cstdint>
#include <vector>

namespace tidegate::metrics {

struct HistogramBucket {
  uint32_t index;
  uint64_t lowest;   // smallest value that lands in this bucket
  uint64_t highest;  // largest value that lands in this bucket (inclusive)
  uint64_t count;
};

// A bucket's count, or its change over a second: how folds and windows pass buckets around.
struct BucketDelta {
  uint32_t index;
  uint64_t count;
};

class Histogram {
 public:
  // Layout. Values below 128 get a bucket each; every power of two above is split into 64
  // equal sub-buckets, so a bucket is at most 1/64 as wide as its lowest value and its
  // midpoint lies within 1/128 (0.79%) of every value in it. Values >= 2^40 (12.7 days in
  // microseconds, 1 TiB in bytes) share the last bucket; sum, min and max stay exact.
  static constexpr uint32_t kSubBucketBits = 6;
  static constexpr uint32_t kSubBucketCount = 1u << kSubBucketBits;
  static constexpr uint32_t kValueBits = 40;
  static constexpr uint64_t kMaxTrackable = (uint64_t{1} << kValueBits) - 1;
  static constexpr uint32_t kBucketCount = (kValueBits - kSubBucketBits + 1) * kSubBucketCount;

  static constexpr uint32_t bucketIndex(uint64_t value) {
    if (value > kMaxTrackable) value = kMaxTrackable;
    if (value < uint64_t{2} * kSubBucketCount) return static_cast<uint32_t>(value);
    const uint32_t shift = 63 - static_cast<uint32_t>(std::countl_zero(value)) - kSubBucketBits;
    return shift * kSubBucketCount + static_cast<uint32_t>(value >> shift);
  }
  static constexpr uint64_t bucketLowest(uint32_t index) {
    if (index < 2 * kSubBucketCount) return index;
    const uint32_t shift = index / kSubBucketCount - 1;
    return uint64_t{index - shift * kSubBucketCount} << shift;
  }
  static constexpr uint64_t bucketWidth(uint32_t index) {
    return index < 2 * kSubBucketCount ? 1 : uint64_t{1} << (index / kSubBucketCount - 1);
  }
  static constexpr uint64_t bucketHighest(uint32_t index) {
    return bucketLowest(index) + bucketWidth(index) - 1;
  }
  // The value reported for anything in the bucket: its midpoint.
  static constexpr double bucketValue(uint32_t index) {
    return static_cast<double>(bucketLowest(index)) +
           static_cast<double>(bucketWidth(index) - 1) / 2.0;
  }

  Histogram() : counts_(kBucketCount, 0) {}

  void record(uint64_t value) { record(value, 1); }
  void record(uint64_t value, uint64_t n);
  // For folds that know bucket counts but not the values: count and range grow by n; min and
  // max widen to the bucket's bounds; the sum is the caller's business (addSum).
  void addBucketCount(uint32_t index, uint64_t n);
  void addSum(uint64_t sum) { sum_ += sum; }
  // this += other.
  void merge(const Histogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  bool empty() const { return count_ == 0; }
  // Every recorded value v satisfies min() <= v <= max(); exact when built with record().
  // Both are 0 when empty.
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return count_ ? max_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value at quantile q in [0, 1]: the bucket midpoint of the ceil(q * count)-th smallest
  // value (the first for q = 0), clamped to [min, max]. 0 when empty.
  double quantile(double q) const;

  // How many values are <= bound, for Prometheus `le` buckets: the counts of every bucket that
  // starts at or below the bound. Exact when the bound ends a bucket (always below 128);
  // otherwise values up to one bucket width (< 1.6%) above the bound are counted under it,
  // but a value equal to the bound is always counted.
  uint64_t cumulativeCountAtOrBelow(uint64_t bound) const;

  uint64_t bucketCount(uint32_t index) const { return counts_[index]; }
  // Non-empty buckets only, lowest first: f(const HistogramBucket&).
  template <typename F>
  void forEachBucket(F&& f) const {
    for (uint32_t i = lowest_index_; i <= highest_index_ && i < kBucketCount; ++i) {
      if (counts_[i] != 0) f(HistogramBucket{i, bucketLowest(i), bucketHighest(i), counts_[i]});
    }
  }
  // The index range that may hold counts; lowest > highest when empty.
  uint32_t lowestIndex() const { return lowest_index_; }
  uint32_t highestIndex() const { return highest_index_; }

 private:
  void touch(uint32_t index) {
    if (index < lowest_index_) lowest_index_ = index;
    if (index > highest_index_) highest_index_ = index;
  }

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  uint32_t lowest_index_ = kBucketCount;
  uint32_t highest_index_ = 0;
};

}  // namespace tidegate::metrics
