#include "metrics/shard.h"

#include <algorithm>

namespace tidegate::metrics {

MetricShard::MetricShard()
    : counter_blocks_(new std::atomic<CounterBlock*>[kCounterBlocks]()),
      gauge_blocks_(new std::atomic<GaugeBlock*>[kGaugeBlocks]()),
      histograms_(new std::atomic<ShardHistogram*>[kMaxHistograms]()) {}

MetricShard::~MetricShard() {
  for (uint32_t i = 0; i < kCounterBlocks; ++i)
    delete counter_blocks_[i].load();
  for (uint32_t i = 0; i < kGaugeBlocks; ++i)
    delete gauge_blocks_[i].load();
  for (uint32_t i = 0; i < kMaxHistograms; ++i)
    delete histograms_[i].load();
}

void MetricShard::reserve(const ShardLayout& wanted) {
  const uint32_t counters = std::min(wanted.counters, kMaxCounters);
  for (uint32_t b = (capacity_.counters + kCounterBlockSize - 1) / kCounterBlockSize;
       b * kCounterBlockSize < counters; ++b) {
    counter_blocks_[b].store(new CounterBlock(), std::memory_order_release);
  }
  const uint32_t gauges = std::min(wanted.gauges, kMaxGauges);
  for (uint32_t b = (capacity_.gauges + kGaugeBlockSize - 1) / kGaugeBlockSize;
       b * kGaugeBlockSize < gauges; ++b) {
    gauge_blocks_[b].store(new GaugeBlock(), std::memory_order_release);
  }
  const uint32_t histograms = std::min(wanted.histograms, kMaxHistograms);
  for (uint32_t i = capacity_.histograms; i < histograms; ++i) {
    histograms_[i].store(new ShardHistogram(), std::memory_order_release);
  }
  // Whole blocks are allocated, but capacity reports what was asked for.
  capacity_.counters = std::max(capacity_.counters, counters);
  capacity_.gauges = std::max(capacity_.gauges, gauges);
  capacity_.histograms = std::max(capacity_.histograms, histograms);
}

}  // namespace tidegate::metrics
