#include "metrics/host_metrics.h"

#include <string>
#include <utility>

namespace tidegate::metrics {

// Every family here is set by one writer (the control thread) and absent until the first
// sample: latest gauges.

Result<HostMetrics> HostMetrics::declare(SeriesRegistry& registry) {
  HostMetrics m(registry);
  std::pair<GaugeId*, FamilySpec> host[] = {
      {&m.cpu_utilization_,
       FamilySpec::latestGauge(
           "tidegate_host_cpu_utilization_ratio",
           "Share of all CPUs' time spent busy since the previous sample (0 to 1).")},
      {&m.memory_total_,
       FamilySpec::latestGauge("tidegate_host_memory_total_bytes", "Physical memory.")},
      {&m.memory_available_,
       FamilySpec::latestGauge(
           "tidegate_host_memory_available_bytes",
           "Memory available to new processes without swapping (MemAvailable).")},
      {&m.network_receive_,
       FamilySpec::latestGauge("tidegate_host_network_receive_bytes_per_second",
                               "Bytes received per second by all interfaces but loopback.")},
      {&m.network_transmit_,
       FamilySpec::latestGauge("tidegate_host_network_transmit_bytes_per_second",
                               "Bytes sent per second by all interfaces but loopback.")},
  };
  for (auto& [id, spec] : host) {
    auto family = registry.declare(std::move(spec));
    if (!family) return family.error();
    auto series = registry.series(*family, {});
    if (!series) return series.error();
    *id = GaugeId{series->index};
  }
  auto cpu = registry.declare(FamilySpec::latestGauge(
      "tidegate_backend_process_cpu_cores",
      "CPU seconds per second used by a local backend process.", {"upstream", "backend"}));
  if (!cpu) return cpu.error();
  m.process_cpu_ = *cpu;
  auto rss = registry.declare(FamilySpec::latestGauge(
      "tidegate_backend_process_resident_memory_bytes",
      "Resident memory of a local backend process.", {"upstream", "backend"}));
  if (!rss) return rss.error();
  m.process_rss_ = *rss;
  return m;
}

Result<ProcessSeries> HostMetrics::process(std::string_view upstream, std::string_view backend) {
  auto cpu = registry_->series(process_cpu_, {upstream, backend});
  if (!cpu) return cpu.error();
  auto rss = registry_->series(process_rss_, {upstream, backend});
  if (!rss) return rss.error();
  return ProcessSeries{GaugeId{cpu->index}, GaugeId{rss->index}};
}

void HostMetrics::publish(MetricShard& shard, const HostSample& sample) const {
  if (sample.cpu_utilization) shard.set(cpu_utilization_, *sample.cpu_utilization);
  shard.set(memory_total_, static_cast<double>(sample.memory_total_bytes));
  shard.set(memory_available_, static_cast<double>(sample.memory_available_bytes));
  if (sample.net_rx_bytes_per_second) shard.set(network_receive_, *sample.net_rx_bytes_per_second);
  if (sample.net_tx_bytes_per_second) {
    shard.set(network_transmit_, *sample.net_tx_bytes_per_second);
  }
}

void HostMetrics::publish(MetricShard& shard, const ProcessSeries& series,
                          const ProcessSample& sample) {
  if (sample.cpu_cores) shard.set(series.cpu_cores, *sample.cpu_cores);
  shard.set(series.rss_bytes, static_cast<double>(sample.rss_bytes));
}

}  // namespace tidegate::metrics
