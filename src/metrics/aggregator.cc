#include "metrics/aggregator.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace tidegate::metrics {

Aggregator::Aggregator(const SeriesRegistry& registry, const Clock& clock)
    : registry_(registry), clock_(clock) {}

void Aggregator::addShard(std::shared_ptr<const MetricShard> shard) {
  ShardCursor cursor;
  cursor.shard = std::move(shard);
  shards_.push_back(std::move(cursor));
}

void Aggregator::grow(const ShardLayout& layout) {
  if (layout.counters > totals_.counters.size()) {
    totals_.counters.resize(layout.counters, 0);
    counter_deltas_.resize(layout.counters, 0);
  }
  for (uint32_t g = static_cast<uint32_t>(gauge_merge_.size()); g < layout.gauges; ++g) {
    const FamilyId family = registry_.info(SeriesRef(GaugeId{g})).family;
    const GaugeMerge merge = registry_.family(family).spec.gauge_merge;
    gauge_merge_.push_back(merge);
    totals_.gauges.push_back(merge == GaugeMerge::kLatest ? std::numeric_limits<double>::quiet_NaN()
                                                          : 0.0);
  }
  while (totals_.histograms.size() < layout.histograms)
    totals_.histograms.emplace_back();
  for (ShardCursor& c : shards_) {
    if (c.counters.size() < layout.counters) c.counters.resize(layout.counters, 0);
    if (c.gauge_writes.size() < layout.gauges) c.gauge_writes.resize(layout.gauges, 0);
    if (c.histograms.size() < layout.histograms) c.histograms.resize(layout.histograms);
  }
}

void Aggregator::fold() {
  const ShardLayout layout = registry_.layout();
  grow(layout);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now());
  windows_.beginSecond(now.count(), layout);
  foldCounters(layout.counters);
  foldGauges(layout.gauges);
  foldHistograms(layout.histograms);
}

void Aggregator::foldCounters(uint32_t count) {
  std::fill(counter_deltas_.begin(), counter_deltas_.begin() + count, 0);
  for (ShardCursor& c : shards_) {
    const uint32_t n = std::min(count, c.shard->capacity().counters);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t now = c.shard->counter(CounterId{i});
      counter_deltas_[i] += now - c.counters[i];
      c.counters[i] = now;
    }
  }
  for (uint32_t i = 0; i < count; ++i) {
    totals_.counters[i] += counter_deltas_[i];
    windows_.addCounter(CounterId{i}, counter_deltas_[i]);
  }
}

void Aggregator::foldGauges(uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    const GaugeId id{i};
    if (gauge_merge_[i] == GaugeMerge::kSum) {
      double sum = 0;
      for (ShardCursor& c : shards_) {
        if (i < c.shard->capacity().gauges) sum += c.shard->gauge(id).value;
      }
      totals_.gauges[i] = sum;
    } else {
      for (ShardCursor& c : shards_) {
        if (i >= c.shard->capacity().gauges) continue;
        const MetricShard::GaugeReading r = c.shard->gauge(id);
        if (r.writes != c.gauge_writes[i]) {
          c.gauge_writes[i] = r.writes;
          totals_.gauges[i] = r.value;
        }
      }
    }
    windows_.setGauge(id, totals_.gauges[i]);
  }
}

// Per series: the buckets that changed in any shard are summed into a dense scratch array
// (hot in cache), marked by group, then listed in ascending order for the totals and the window.
// Nothing is walked by range, so a fold costs what changed, not how widely values spread.
void Aggregator::foldHistograms(uint32_t count) {
  constexpr uint32_t kGroupSize = ShardHistogram::kGroupSize;
  constexpr uint32_t kGroupWords = (ShardHistogram::kGroupCount + 63) / 64;
  if (bucket_deltas_.empty()) {
    bucket_deltas_.assign(Histogram::kBucketCount, 0);
    changed_groups_.assign(kGroupWords, 0);
  }
  uint32_t moved[ShardHistogram::kGroupCount];
  for (uint32_t i = 0; i < count; ++i) {
    const HistogramId id{i};
    uint64_t sum_delta = 0;
    bool changed = false;
    // The shards' histograms are cold (written on other cores): ask for the next series' early.
    if (i + 1 < count) {
      for (const ShardCursor& c : shards_) {
        if (i + 1 < c.shard->capacity().histograms) {
          c.shard->histogram(HistogramId{i + 1}).prefetchHeader();
          __builtin_prefetch(&c.histograms[i + 1]);
        }
      }
    }
    for (ShardCursor& c : shards_) {
      if (i >= c.shard->capacity().histograms) continue;
      const ShardHistogram& h = c.shard->histogram(id);
      HistogramCursor& seen = c.histograms[i];
      const uint64_t recorded = h.count();  // acquire: what follows reflects at least this
      if (recorded == seen.count) continue;
      seen.count = recorded;
      changed = true;
      if (seen.lines.empty()) {
        seen.groups.assign(ShardHistogram::kGroupCount, 0);
        seen.lines.resize(ShardHistogram::kGroupCount, HistogramCursor::GroupLine{});
      }
      // First list the groups that moved (no branches, so the loads overlap), then fetch all
      // their bucket lines at once, then read them.
      const uint32_t high = std::min(h.highestIndex(), Histogram::kBucketCount - 1) / kGroupSize;
      uint32_t n = 0;
      for (uint32_t g = h.lowestIndex() / kGroupSize; g <= high; ++g) {
        const uint32_t in_group = h.group(g);
        moved[n] = g;
        n += in_group != seen.groups[g] ? 1 : 0;
        seen.groups[g] = in_group;
      }
      for (uint32_t k = 0; k < n; ++k) {
        h.prefetchGroup(moved[k]);
        __builtin_prefetch(&seen.lines[moved[k]]);
      }
      for (uint32_t k = 0; k < n; ++k) {
        const uint32_t g = moved[k];
        changed_groups_[g / 64] |= uint64_t{1} << (g % 64);
        uint32_t* before = seen.lines[g].buckets;
        for (uint32_t j = 0; j < kGroupSize; ++j) {
          const uint32_t b = g * kGroupSize + j;
          const uint32_t now = h.bucket(b);
          bucket_deltas_[b] += static_cast<uint32_t>(now - before[j]);
          before[j] = now;
        }
      }
      const uint64_t sum = h.sum();
      sum_delta += sum - seen.sum;
      seen.sum = sum;
    }
    if (!changed) continue;
    changed_buckets_.clear();
    for (uint32_t w = 0; w < kGroupWords; ++w) {
      for (uint64_t bits = changed_groups_[w]; bits != 0; bits &= bits - 1) {
        const uint32_t g = w * 64 + static_cast<uint32_t>(std::countr_zero(bits));
        for (uint32_t b = g * kGroupSize; b < (g + 1) * kGroupSize; ++b) {
          if (bucket_deltas_[b] != 0) {
            changed_buckets_.push_back({b, bucket_deltas_[b]});
            bucket_deltas_[b] = 0;
          }
        }
      }
      changed_groups_[w] = 0;
    }
    // A torn read can see the sum move before its buckets: the sum is kept, the buckets follow
    // on the next fold.
    Histogram& total = totals_.histograms[i];
    for (const BucketDelta& b : changed_buckets_)
      total.addBucketCount(b.index, b.count);
    total.addSum(sum_delta);
    windows_.addHistogram(id, changed_buckets_, sum_delta);
  }
}

}  // namespace tidegate::metrics
