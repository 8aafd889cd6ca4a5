#pragma once
// HostMetrics: the /proc samples as gauges (host CPU, memory and network rates; CPU and RSS of
// local backend processes), declared once and set by the control thread on its own
// MetricShard after each ProcSampler round. Control thread only.

#include <string_view>

#include "core/result.h"
#include "metrics/proc_sampler.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::metrics {

// Labels {upstream, backend}: one local backend process (the process provider's).
struct ProcessSeries {
  GaugeId cpu_cores;  // tidegate_backend_process_cpu_cores
  GaugeId rss_bytes;  // tidegate_backend_process_resident_memory_bytes
};

class HostMetrics {
 public:
  // Declares the families; the caller then reserve()s the control shard for the new series.
  static Result<HostMetrics> declare(SeriesRegistry& registry);

  Result<ProcessSeries> process(std::string_view upstream, std::string_view backend);

  // Values a first sample lacks (rates) are left unset: they read as absent, not as zero.
  void publish(MetricShard& control_shard, const HostSample& sample) const;
  static void publish(MetricShard& control_shard, const ProcessSeries& series,
                      const ProcessSample& sample);

  GaugeId cpuUtilization() const { return cpu_utilization_; }
  GaugeId memoryTotal() const { return memory_total_; }
  GaugeId memoryAvailable() const { return memory_available_; }
  GaugeId networkReceive() const { return network_receive_; }
  GaugeId networkTransmit() const { return network_transmit_; }

 private:
  explicit HostMetrics(SeriesRegistry& registry) : registry_(&registry) {}

  SeriesRegistry* registry_;
  GaugeId cpu_utilization_, memory_total_, memory_available_, network_receive_, network_transmit_;
  FamilyId process_cpu_, process_rss_;
};

}  // namespace tidegate::metrics
