#pragma once
// WindowStore: per-second rings holding the last 15 minutes of every series, and the one query
// API that the autoscaler (C++) and Lua policies use: rate, sum, count, avg, min, max, last or
// a percentile over the last N seconds. Control thread only (the Aggregator writes it once a
// second; queries run between folds).
//
// Memory: 8 bytes per counter or gauge series per second (7 KiB per series); histograms keep
// only their non-empty buckets per second (8 bytes each), so a quiet series costs little.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metrics/histogram.h"
#include "metrics/series_id.h"

namespace tidegate::metrics {

struct Agg {
  enum class Kind : uint8_t {
    kRate,        // counters: increments per second; histograms: observations per second
    kSum,         // counters: increments; histograms: sum of observed values; gauges: n/a
    kCount,       // counters: increments; histograms: observations; gauges: samples
    kAvg,         // counters: per-second increments; gauges: samples; histograms: values
    kMin,         // likewise (histograms: within 0.79%)
    kMax,         // likewise
    kLast,        // counters: last second's increment; gauges: latest sample
    kPercentile,  // per-second values (counters, gauges) or observed values (histograms)
  };
  Kind kind = Kind::kAvg;
  double quantile = 0.0;  // kPercentile only, in [0, 1]

  static constexpr Agg of(Kind k) { return Agg{k, 0.0}; }
  static constexpr Agg percentile(double q) { return Agg{Kind::kPercentile, q}; }
  // "rate" "sum" "count" "avg" "min" "max" "last", "p50" "p99" "p99.9" (also "p999", "p9999").
  static std::optional<Agg> parse(std::string_view text);
};

class WindowStore {
 public:
  static constexpr int64_t kSeconds = 900;

  WindowStore();

  // --- Written by the Aggregator, once per fold ---
  // Opens `second` (seconds on the Aggregator's clock) for the adds below. A second later than
  // the last one clears the slots in between (they read as zero / no sample); the same second
  // again accumulates into it. New series in `layout` are born at `second`.
  void beginSecond(int64_t second, const ShardLayout& layout);
  void addCounter(CounterId id, uint64_t delta);
  void setGauge(GaugeId id, double value);  // NaN: no sample this second
  // `buckets`: non-empty buckets in ascending index order; `sum`: of the values they count.
  void addHistogram(HistogramId id, std::span<const BucketDelta> buckets, uint64_t sum);
  void addHistogram(HistogramId id, const Histogram& delta);

  // --- Queries ---
  // `agg` over the `window` seconds ending with the last folded second (at most kSeconds; a
  // series younger than the window is queried over its life). Values are in recorded units
  // (microseconds, bytes). Several series combine per second: counters and gauges add up,
  // histograms merge (a pool from its backends). nullopt: no data, an empty window, types mixed,
  // or an aggregation the type does not have.
  std::optional<double> query(SeriesRef series, Agg agg, std::chrono::seconds window) const;
  std::optional<double> query(std::span<const SeriesRef> series, Agg agg,
                              std::chrono::seconds window) const;

  std::optional<int64_t> lastSecond() const {
    return started_ ? std::optional<int64_t>(last_second_) : std::nullopt;
  }

 private:
  struct BucketCount {
    uint32_t index;
    uint32_t count;
  };
  struct HistogramSlot {
    uint64_t count = 0;
    uint64_t sum = 0;
    std::vector<BucketCount> buckets;  // ascending index
  };

  static size_t slotOf(int64_t second) {
    return static_cast<size_t>(((second % kSeconds) + kSeconds) % kSeconds);
  }
  void grow(const ShardLayout& layout, int64_t second);
  void clearSlot(size_t slot);
  std::optional<double> queryScalars(std::span<const SeriesRef> series, Agg agg, int64_t first,
                                     int64_t last) const;
  std::optional<double> queryHistograms(std::span<const SeriesRef> series, Agg agg, int64_t first,
                                        int64_t last) const;

  std::vector<uint64_t> counters_;  // [series * kSeconds + slot]
  std::vector<int64_t> counter_born_;
  std::vector<double> gauges_;  // [series * kSeconds + slot], NaN: no sample
  std::vector<int64_t> gauge_born_;
  std::vector<HistogramSlot> histograms_;  // [series * kSeconds + slot]
  std::vector<int64_t> histogram_born_;
  int64_t last_second_ = 0;
  bool started_ = false;
};

}  // namespace tidegate::metrics
