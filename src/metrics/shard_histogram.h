#pragma once
// ShardHistogram: the worker-side twin of Histogram (same buckets), made of single-writer
// relaxed atomics. Written by the owning worker only; read by the control thread's fold.
//
// Why not a double buffer: the cells only ever grow, so the reader folds deltas against what it
// saw last time and never resets anything the writer owns. A fold that races a record may see
// the bucket without the count or the sum (a slightly torn snapshot); whatever it misses it
// sees on the next fold, and nothing is counted twice. A double buffer would need a handshake
// with workers that may be idle for minutes, for no gain in what the windows show.

#include <atomic>
#include <cstdint>

#include "metrics/cell.h"
#include "metrics/histogram.h"

namespace tidegate::metrics {

class alignas(64) ShardHistogram {
 public:
  // Bucket and group counts are 32-bit and wrap: a reader takes differences (uint32_t(now -
  // before)), which are right as long as fewer than 2^32 values land in one bucket between two
  // folds. Half the bytes of 64-bit cells means half the cache lines a fold pulls from workers.
  //
  // Buckets are also counted in groups of 16 (one cache line), so that a fold reads only the
  // groups whose count moved since it last looked instead of every bucket in the range: its
  // cost follows the traffic, not the spread of the values.
  static constexpr uint32_t kGroupSize = 16;
  static constexpr uint32_t kGroupCount = Histogram::kBucketCount / kGroupSize;
  static_assert(Histogram::kBucketCount % kGroupSize == 0);

  // Owning thread only. The count is published last (release), so a reader that loads the
  // count (acquire) sees at least every bucket, range and sum write of the records it counts.
  void record(uint64_t value) {
    const uint32_t index = Histogram::bucketIndex(value);
    if (index < lowest_.load(std::memory_order_relaxed)) {
      lowest_.store(index, std::memory_order_relaxed);
    }
    if (index > highest_.load(std::memory_order_relaxed)) {
      highest_.store(index, std::memory_order_relaxed);
    }
    cellAdd(buckets_[index], uint32_t{1});
    std::atomic<uint32_t>& group = groups_[index / kGroupSize];  // release: after the bucket
    group.store(group.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    cellAdd(sum_, value);
    count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Any thread. Load count() first: the other reads then reflect at least that many records.
  uint64_t count() const { return count_.load(std::memory_order_acquire); }
  uint64_t sum() const { return sum_.load(std::memory_order_relaxed); }
  // Wrapping counts: see above.
  uint32_t bucket(uint32_t index) const { return buckets_[index].load(std::memory_order_relaxed); }
  // Records in buckets [group * kGroupSize, (group + 1) * kGroupSize). Acquire: the buckets of
  // the group then reflect at least this many records.
  uint32_t group(uint32_t group) const { return groups_[group].load(std::memory_order_acquire); }
  // Indices that may hold counts; lowest > highest while empty.
  uint32_t lowestIndex() const { return lowest_.load(std::memory_order_relaxed); }
  uint32_t highestIndex() const { return highest_.load(std::memory_order_relaxed); }

  // Hints for the fold, which reads many cold histograms: fetch ahead what it will read.
  void prefetchHeader() const { __builtin_prefetch(&count_); }
  void prefetchGroup(uint32_t group) const { __builtin_prefetch(&buckets_[group * kGroupSize]); }

  // A plain copy, for tests and one-off reads (the fold reads deltas instead); bucket counts are
  // taken as they are, so this is exact below 2^32 values per bucket.
  Histogram snapshot() const;

 private:
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint32_t> lowest_{Histogram::kBucketCount};
  std::atomic<uint32_t> highest_{0};
  std::atomic<uint32_t> groups_[kGroupCount] = {};
  alignas(64) std::atomic<uint32_t> buckets_[Histogram::kBucketCount] = {};
};

}  // namespace tidegate::metrics
