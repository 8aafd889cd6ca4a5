#pragma once
// Aggregator: the control plane's once-a-second fold of every worker's MetricShard into
// cumulative totals (what /metrics shows) and per-second deltas (the WindowStore's rings).
// Control thread only; workers keep recording into their shards while it reads them.
//
// Shard cells only grow (histogram buckets modulo 2^32); the fold remembers what it saw in each
// shard last time and takes the difference, so a torn read is made good by the next fold and
// nothing is counted twice.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "metrics/clock.h"
#include "metrics/histogram.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"
#include "metrics/window.h"

namespace tidegate::metrics {

// Everything ever recorded, per series, indexed by handle.
struct FoldedTotals {
  std::vector<uint64_t> counters;
  std::vector<double> gauges;  // NaN: a kLatest gauge nobody has written yet
  std::vector<Histogram> histograms;
};

class Aggregator {
 public:
  // Both must outlive the Aggregator.
  Aggregator(const SeriesRegistry& registry, const Clock& clock);

  // Adds a shard to fold: a worker's, or the control thread's own for the gauges it sets. Call
  // before the worker starts; the Aggregator shares ownership, and shards are never removed
  // (a worker lives as long as the process).
  void addShard(std::shared_ptr<const MetricShard> shard);

  // Reads every shard once and files the changes under the current second of the clock.
  // Call about once a second; a late call files everything since the last under its own
  // second and leaves the seconds between empty.
  void fold();

  const FoldedTotals& totals() const { return totals_; }
  const WindowStore& windows() const { return windows_; }

 private:
  struct HistogramCursor {
    uint64_t count = 0;
    uint64_t sum = 0;
    // What the fold saw last, wrapping as in ShardHistogram; allocated on first use. One
    // cache line per group, like the shard's.
    struct alignas(64) GroupLine {
      uint32_t buckets[ShardHistogram::kGroupSize];
    };
    std::vector<uint32_t> groups;
    std::vector<GroupLine> lines;
  };
  struct ShardCursor {
    std::shared_ptr<const MetricShard> shard;
    std::vector<uint64_t> counters;
    std::vector<uint64_t> gauge_writes;
    std::vector<HistogramCursor> histograms;
  };

  void grow(const ShardLayout& layout);
  void foldCounters(uint32_t count);
  void foldGauges(uint32_t count);
  void foldHistograms(uint32_t count);

  const SeriesRegistry& registry_;
  const Clock& clock_;
  std::vector<ShardCursor> shards_;
  FoldedTotals totals_;
  std::vector<GaugeMerge> gauge_merge_;  // per gauge series
  WindowStore windows_;
  // Scratch reused across folds, so that a steady fold does not allocate.
  std::vector<uint64_t> counter_deltas_;
  std::vector<uint64_t> bucket_deltas_;   // dense, all zero between series
  std::vector<uint64_t> changed_groups_;  // bitmap over ShardHistogram groups
  std::vector<BucketDelta> changed_buckets_;
};

}  // namespace tidegate::metrics
