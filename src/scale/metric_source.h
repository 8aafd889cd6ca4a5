#pragma once
// MetricSource: how a scaling policy reads load. The server implements it over the metric
// windows (metrics/window.h) and the process provider's per-instance samples; tests and
// `tidegate policy eval` use a fake filled from JSON. Control thread only.
//
// Names (docs/autoscaling.md lists them with their units): rps, inflight, inflight_per_instance,
// latency_ms, error_rate, requests, host_cpu, host_memory, net_rx_bytes_per_s,
// net_tx_bytes_per_s, cpu, rss_bytes, backend_load, backend:<name> for a value scraped from
// each instance's own metrics endpoint (the upstream's scrape: block), and
// metric:<prometheus family> for custom metrics.

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/window.h"

namespace tidegate::scale {

// One instance's value of a per-instance metric (cpu, rss_bytes, inflight_per_instance, ...).
struct InstanceMetric {
  std::string id;               // InstanceInfo::id
  bool ready = true;            // serving (not starting, draining or stopping)
  std::optional<double> value;  // nullopt: no sample yet (a "missing" instance, as HPA says)
};

class MetricSource {
 public:
  virtual ~MetricSource() = default;
  // The pool's value of `name` aggregated with `agg` over the last `window`; nullopt when there
  // is no data (unknown name, empty window, an aggregation the series does not have).
  virtual std::optional<double> metric(std::string_view name, metrics::Agg agg,
                                       std::chrono::seconds window) const = 0;
  // Every instance of the pool (ready or not) with its own value of `name`.
  virtual std::vector<InstanceMetric> perInstance(std::string_view name, metrics::Agg agg,
                                                  std::chrono::seconds window) const = 0;
};

// The spelling metrics::Agg::parse reads: "avg", "rate", "p99", "p99.9", ...
inline std::string aggName(metrics::Agg agg) {
  using K = metrics::Agg::Kind;
  switch (agg.kind) {
    case K::kRate:
      return "rate";
    case K::kSum:
      return "sum";
    case K::kCount:
      return "count";
    case K::kAvg:
      return "avg";
    case K::kMin:
      return "min";
    case K::kMax:
      return "max";
    case K::kLast:
      return "last";
    case K::kPercentile: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "p%g", agg.quantile * 100.0);
      return buf;
    }
  }
  return "avg";
}

}  // namespace tidegate::scale
