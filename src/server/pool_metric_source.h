#pragma once
// PoolMetricSource: what a scaled pool's policy reads (scale::MetricSource), answered from the
// telemetry windows: the pool's request rate, in-flight, latency and errors summed over every
// backend the pool has ever had (so a scale-down does not erase the recent past), host gauges,
// and per-instance values from the provider's instances (backend:<name>: what the scraper
// read from each instance's own metrics endpoint). Control thread only.

#include <functional>
#include <string>
#include <vector>

#include "scale/metric_source.h"
#include "scale/provider.h"
#include "server/telemetry.h"

namespace tidegate::server {

class PoolMetricSource final : public scale::MetricSource {
 public:
  // `instances` lists the pool's current instances (the provider's).
  PoolMetricSource(std::string pool, Telemetry& telemetry,
                   std::function<std::vector<scale::InstanceInfo>()> instances);

  std::optional<double> metric(std::string_view name, metrics::Agg agg,
                               std::chrono::seconds window) const override;
  std::vector<scale::InstanceMetric> perInstance(std::string_view name, metrics::Agg agg,
                                                 std::chrono::seconds window) const override;

 private:
  // The backend's series, registered on first sight and remembered for the pool's windows.
  const metrics::BackendSeries* backend(const std::string& address) const;
  // One instance's value of a per-instance metric; nullopt: no data.
  std::optional<double> instanceValue(std::string_view name, const std::string& address,
                                      metrics::Agg agg, std::chrono::seconds window) const;
  void refreshBackends() const;

  std::string pool_;
  Telemetry& telemetry_;
  std::function<std::vector<scale::InstanceInfo>()> instances_;
  mutable std::vector<std::pair<std::string, metrics::BackendSeries>> backends_;  // ever seen
};

}  // namespace tidegate::server
