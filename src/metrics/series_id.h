#pragma once
// Dense handles for metric series: resolved once by SeriesRegistry when configuration loads,
// then used on the hot path as plain indices into a worker's MetricShard. Any thread.

#include <cstdint>

namespace tidegate::metrics {

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

// One handle type per metric type, so that a counter handle cannot be recorded as a gauge.
struct CounterId {
  uint32_t index = 0;
  bool operator==(const CounterId&) const = default;
};
struct GaugeId {
  uint32_t index = 0;
  bool operator==(const GaugeId&) const = default;
};
struct HistogramId {
  uint32_t index = 0;
  bool operator==(const HistogramId&) const = default;
};

// Any series, for code that handles all types (queries, exposition).
struct SeriesRef {
  MetricType type = MetricType::kCounter;
  uint32_t index = 0;

  constexpr SeriesRef() = default;
  constexpr SeriesRef(MetricType t, uint32_t i) : type(t), index(i) {}
  constexpr SeriesRef(CounterId id) : type(MetricType::kCounter), index(id.index) {}  // NOLINT
  constexpr SeriesRef(GaugeId id) : type(MetricType::kGauge), index(id.index) {}      // NOLINT
  constexpr SeriesRef(HistogramId id)                                                 // NOLINT
      : type(MetricType::kHistogram), index(id.index) {}
  bool operator==(const SeriesRef&) const = default;
};

// How many series of each type exist (registry) or fit (shard).
struct ShardLayout {
  uint32_t counters = 0;
  uint32_t gauges = 0;
  uint32_t histograms = 0;
  bool operator==(const ShardLayout&) const = default;
};

}  // namespace tidegate::metrics
