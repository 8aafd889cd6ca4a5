#include "metrics/shard.h"

#include <gtest/gtest.h>

#include <thread>

namespace tidegate::metrics {
namespace {

TEST(MetricShard, CountersGaugesAndHistograms) {
  MetricShard shard;
  shard.reserve({.counters = 3, .gauges = 2, .histograms = 1});
  shard.add(CounterId{0});
  shard.add(CounterId{0}, 4);
  shard.add(CounterId{2}, 7);
  EXPECT_EQ(shard.counter(CounterId{0}), 5u);
  EXPECT_EQ(shard.counter(CounterId{1}), 0u);
  EXPECT_EQ(shard.counter(CounterId{2}), 7u);

  shard.add(GaugeId{1}, 1.0);
  shard.add(GaugeId{1}, 1.0);
  shard.add(GaugeId{1}, -1.0);
  EXPECT_EQ(shard.gauge(GaugeId{1}).value, 1.0);
  EXPECT_EQ(shard.gauge(GaugeId{1}).writes, 3u);
  shard.set(GaugeId{0}, 0.73);
  EXPECT_EQ(shard.gauge(GaugeId{0}).value, 0.73);

  shard.record(HistogramId{0}, 150);
  shard.record(HistogramId{0}, 250000);
  const Histogram h = shard.histogram(HistogramId{0}).snapshot();
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.sum(), 250150u);
  EXPECT_NEAR(h.quantile(1.0), 250000.0, 2000.0);
}

TEST(MetricShard, ReserveGrowsWithoutMovingExistingCells) {
  MetricShard shard;
  shard.reserve({.counters = 1, .gauges = 1, .histograms = 1});
  shard.add(CounterId{0}, 9);
  // Grow past block boundaries: existing values stay where they are.
  shard.reserve({.counters = MetricShard::kCounterBlockSize * 3 + 1,
                 .gauges = MetricShard::kGaugeBlockSize + 1,
                 .histograms = 5});
  EXPECT_EQ(shard.counter(CounterId{0}), 9u);
  shard.add(CounterId{MetricShard::kCounterBlockSize * 3}, 2);
  EXPECT_EQ(shard.counter(CounterId{MetricShard::kCounterBlockSize * 3}), 2u);
  shard.set(GaugeId{MetricShard::kGaugeBlockSize}, 4.0);
  EXPECT_EQ(shard.gauge(GaugeId{MetricShard::kGaugeBlockSize}).value, 4.0);
  shard.record(HistogramId{4}, 1);
  EXPECT_EQ(shard.histogram(HistogramId{4}).count(), 1u);
  EXPECT_EQ(shard.capacity().counters, MetricShard::kCounterBlockSize * 3 + 1);

  shard.reserve({.counters = 1, .gauges = 1, .histograms = 1});  // never shrinks
  EXPECT_EQ(shard.capacity().histograms, 5u);
}

// A worker records while the control thread reads: the reader never sees a value go down
// and finally sees everything (run under TSan to check the memory model too).
TEST(MetricShard, ConcurrentReaderSeesMonotonicValues) {
  MetricShard shard;
  shard.reserve({.counters = 1, .gauges = 0, .histograms = 1});
  constexpr uint64_t kRecords = 200000;
  std::thread writer([&] {
    for (uint64_t i = 0; i < kRecords; ++i) {
      shard.add(CounterId{0});
      shard.record(HistogramId{0}, i % 5000);
    }
  });
  uint64_t last_counter = 0, last_count = 0;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t c = shard.counter(CounterId{0});
    const uint64_t n = shard.histogram(HistogramId{0}).count();
    ASSERT_GE(c, last_counter);
    ASSERT_GE(n, last_count);
    last_counter = c;
    last_count = n;
  }
  writer.join();
  EXPECT_EQ(shard.counter(CounterId{0}), kRecords);
  EXPECT_EQ(shard.histogram(HistogramId{0}).snapshot().count(), kRecords);
}

}  // namespace
}  // namespace tidegate::metrics
