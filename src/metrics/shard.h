#pragma once
// MetricShard: one worker's counters, gauges and histograms, addressed by the dense handles of
// series_id.h. Written only by its owning thread (relaxed load + store, no lock, no RMW), read
// by the control thread's fold; reserve() belongs to the control thread.
//
// Storage grows in blocks so that a config reload can add series without moving cells a worker
// is writing: the control thread reserve()s the new capacity *before* it publishes a snapshot
// holding the new handles, and posting the snapshot orders the two. Cells are never freed or
// reused while the shard lives. Each block is cache-line aligned, so two workers' shards never
// share a line.

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

#include "metrics/cell.h"
#include "metrics/series_id.h"
#include "metrics/shard_histogram.h"

namespace tidegate::metrics {

class MetricShard {
 public:
  static constexpr uint32_t kCounterBlockSize = 512;
  static constexpr uint32_t kGaugeBlockSize = 256;
  static constexpr uint32_t kMaxCounters = 1u << 20;
  static constexpr uint32_t kMaxGauges = 1u << 16;
  static constexpr uint32_t kMaxHistograms = 1u << 12;

  struct GaugeReading {
    double value;
    uint64_t writes;  // how many times the owner wrote the gauge: tells the fold it changed
  };

  MetricShard();
  ~MetricShard();
  MetricShard(const MetricShard&) = delete;
  MetricShard& operator=(const MetricShard&) = delete;

  // Control thread: make room for at least `layout` series (clamped to the kMax* limits, which
  // SeriesRegistry enforces). Never shrinks. Allocates.
  void reserve(const ShardLayout& layout);
  // Control thread: what reserve() has made room for.
  const ShardLayout& capacity() const { return capacity_; }

  // Owning thread only. The handle must be below capacity() as seen when it was published.
  void add(CounterId id, uint64_t n = 1) { cellAdd(counterCell(id.index), n); }
  void set(GaugeId id, double value) {
    GaugeCell& cell = gaugeCell(id.index);
    cell.value.store(value, std::memory_order_relaxed);
    cell.writes.store(cell.writes.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  void add(GaugeId id, double delta) {
    GaugeCell& cell = gaugeCell(id.index);
    set(id, cell.value.load(std::memory_order_relaxed) + delta);
  }
  void record(HistogramId id, uint64_t value) { histogramAt(id.index)->record(value); }

  // Any thread (the control thread's fold); values may lag the writer by a moment.
  uint64_t counter(CounterId id) const {
    return counterCell(id.index).load(std::memory_order_relaxed);
  }
  GaugeReading gauge(GaugeId id) const {
    GaugeCell& cell = gaugeCell(id.index);
    const uint64_t writes = cell.writes.load(std::memory_order_acquire);
    return {cell.value.load(std::memory_order_relaxed), writes};
  }
  const ShardHistogram& histogram(HistogramId id) const { return *histogramAt(id.index); }

 private:
  struct alignas(64) CounterBlock {
    std::atomic<uint64_t> cells[kCounterBlockSize];
  };
  struct GaugeCell {
    std::atomic<double> value{0.0};
    std::atomic<uint64_t> writes{0};
  };
  struct alignas(64) GaugeBlock {
    GaugeCell cells[kGaugeBlockSize];
  };
  static constexpr uint32_t kCounterBlocks = kMaxCounters / kCounterBlockSize;
  static constexpr uint32_t kGaugeBlocks = kMaxGauges / kGaugeBlockSize;

  // const: the blocks are not part of the shard's own state.
  std::atomic<uint64_t>& counterCell(uint32_t index) const {
    CounterBlock* block =
        counter_blocks_[index / kCounterBlockSize].load(std::memory_order_relaxed);
    assert(block != nullptr);
    return block->cells[index % kCounterBlockSize];
  }
  GaugeCell& gaugeCell(uint32_t index) const {
    GaugeBlock* block = gauge_blocks_[index / kGaugeBlockSize].load(std::memory_order_relaxed);
    assert(block != nullptr);
    return block->cells[index % kGaugeBlockSize];
  }
  ShardHistogram* histogramAt(uint32_t index) const {
    ShardHistogram* h = histograms_[index].load(std::memory_order_relaxed);
    assert(h != nullptr);
    return h;
  }

  // Block tables: fixed size, so a worker can index them while reserve() fills later entries.
  std::unique_ptr<std::atomic<CounterBlock*>[]> counter_blocks_;
  std::unique_ptr<std::atomic<GaugeBlock*>[]> gauge_blocks_;
  std::unique_ptr<std::atomic<ShardHistogram*>[]> histograms_;
  ShardLayout capacity_;
};

}  // namespace tidegate::metrics
