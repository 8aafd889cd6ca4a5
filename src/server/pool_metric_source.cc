#include "server/pool_metric_source.h"

#include <cmath>

namespace tidegate::server {
namespace {

using metrics::Agg;
using metrics::SeriesRef;

}  // namespace

PoolMetricSource::PoolMetricSource(std::string pool, Telemetry& telemetry,
                                   std::function<std::vector<scale::InstanceInfo>()> instances)
    : pool_(std::move(pool)), telemetry_(telemetry), instances_(std::move(instances)) {}

const metrics::BackendSeries* PoolMetricSource::backend(const std::string& address) const {
  for (const auto& [a, s] : backends_)
    if (a == address) return &s;
  auto series = telemetry_.requests().backend(pool_, address);
  if (!series) return nullptr;
  telemetry_.reserveShards();
  backends_.emplace_back(address, *series);
  return &backends_.back().second;
}

void PoolMetricSource::refreshBackends() const {
  for (const auto& i : instances_())
    backend(i.address);
}

std::optional<double> PoolMetricSource::metric(std::string_view name, Agg agg,
                                               std::chrono::seconds window) const {
  refreshBackends();
  const metrics::WindowStore& w = telemetry_.windows();
  std::vector<SeriesRef> refs;
  if (name == "rps" || name == "requests" || name == "error_rate") {
    std::vector<SeriesRef> errors;
    for (const auto& [a, s] : backends_) {
      for (size_t c = 0; c < metrics::kStatusClasses; ++c)
        refs.push_back(s.requests[c]);
      errors.push_back(s.requests[size_t(metrics::StatusClass::k5xx)]);
    }
    if (name == "rps") return w.query(refs, Agg::of(Agg::Kind::kRate), window);
    if (name == "requests") return w.query(refs, Agg::of(Agg::Kind::kSum), window);
    auto total = w.query(refs, Agg::of(Agg::Kind::kSum), window);
    auto failed = w.query(errors, Agg::of(Agg::Kind::kSum), window);
    if (!total || !failed) return std::nullopt;
    return *total > 0 ? *failed / *total : 0.0;
  }
  if (name == "inflight") {
    for (const auto& [a, s] : backends_)
      refs.push_back(s.in_flight);
    return w.query(refs, agg, window);
  }
  if (name == "inflight_per_instance") {
    for (const auto& [a, s] : backends_)
      refs.push_back(s.in_flight);
    auto total = w.query(refs, agg, window);
    uint32_t ready = 0;
    for (const auto& i : instances_())
      ready += i.state == scale::InstanceState::kReady;
    if (!total || ready == 0) return std::nullopt;
    return *total / ready;
  }
  if (name == "latency_ms") {
    for (const auto& [a, s] : backends_)
      refs.push_back(s.duration);
    auto us = w.query(refs, agg, window);
    if (!us) return std::nullopt;
    return *us / 1000.0;
  }
  const metrics::HostMetrics& host = telemetry_.host();
  if (name == "host_cpu") return w.query(SeriesRef(host.cpuUtilization()), agg, window);
  if (name == "host_memory") {
    auto total = w.query(SeriesRef(host.memoryTotal()), Agg::of(Agg::Kind::kLast), window);
    auto avail = w.query(SeriesRef(host.memoryAvailable()), agg, window);
    if (!total || !avail || *total <= 0) return std::nullopt;
    return 1.0 - *avail / *total;
  }
  if (name == "net_rx_bytes_per_s") return w.query(SeriesRef(host.networkReceive()), agg, window);
  if (name == "net_tx_bytes_per_s") return w.query(SeriesRef(host.networkTransmit()), agg, window);
  if (name == "cpu" || name == "rss_bytes" || name == "backend_load" ||
      name.starts_with("backend:")) {
    // The pool's value: the average over the instances that have one.
    double sum = 0;
    int n = 0;
    for (const auto& i : perInstance(name, agg, window))
      if (i.value) {
        sum += *i.value;
        ++n;
      }
    if (n == 0) return std::nullopt;
    return sum / n;
  }
  if (name.starts_with("metric:")) {
    const metrics::SeriesRegistry& reg = telemetry_.registry();
    auto family = reg.findFamily(name.substr(7));
    if (!family) return std::nullopt;
    const auto& series = reg.family(*family).series;
    return w.query(series, agg, window);
  }
  return std::nullopt;
}

std::optional<double> PoolMetricSource::instanceValue(std::string_view name,
                                                      const std::string& address, Agg agg,
                                                      std::chrono::seconds window) const {
  const metrics::WindowStore& w = telemetry_.windows();
  const metrics::BackendSeries* s = backend(address);
  if (!s) return std::nullopt;
  if (name == "inflight" || name == "inflight_per_instance")
    return w.query(s->in_flight, agg, window);
  if (name == "backend_load") return w.query(s->reported_load, agg, window);
  if (name.starts_with("backend:")) {
    // Scraped from the instance's own metrics endpoint (the upstream's scrape: block).
    auto gauge = telemetry_.scrapes().findValue(pool_, address, name.substr(8));
    if (!gauge) return std::nullopt;
    return w.query(*gauge, agg, window);
  }
  if (name == "rps") {
    std::vector<SeriesRef> refs(s->requests.begin(), s->requests.end());
    return w.query(refs, Agg::of(Agg::Kind::kRate), window);
  }
  if (name == "latency_ms") {
    auto us = w.query(s->duration, agg, window);
    if (!us) return std::nullopt;
    return *us / 1000.0;
  }
  if (name == "cpu" || name == "rss_bytes") {
    auto p = telemetry_.host().process(pool_, address);
    if (!p) return std::nullopt;
    telemetry_.reserveShards();
    return w.query(name == "cpu" ? SeriesRef(p->cpu_cores) : SeriesRef(p->rss_bytes), agg, window);
  }
  return std::nullopt;
}

std::vector<scale::InstanceMetric> PoolMetricSource::perInstance(
    std::string_view name, Agg agg, std::chrono::seconds window) const {
  std::vector<scale::InstanceMetric> out;
  for (const auto& i : instances_()) {
    if (i.state == scale::InstanceState::kDraining || i.state == scale::InstanceState::kStopping)
      continue;
    scale::InstanceMetric m;
    m.id = i.id;
    m.ready = i.state == scale::InstanceState::kReady;
    m.value = instanceValue(name, i.address, agg, window);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace tidegate::server
