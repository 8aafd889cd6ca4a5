#include "metrics/request_metrics.h"

#include <string>
#include <utility>

namespace tidegate::metrics {
namespace {

// Recorded in microseconds, exposed in seconds.
FamilySpec latency(std::string name, std::string help, std::vector<std::string> labels) {
  return FamilySpec::histogram(std::move(name), std::move(help), std::move(labels), 1e-6,
                               latencyBucketsSeconds());
}

template <typename Id>
Result<Id> as(Result<SeriesRef> ref) {
  if (!ref) return ref.error();
  return Id{ref->index};
}

}  // namespace

Result<RequestMetrics> RequestMetrics::declare(SeriesRegistry& registry) {
  RequestMetrics m(registry);
  const std::vector<std::string> route_labels = {"route", "upstream"};
  const std::vector<std::string> backend_labels = {"upstream", "backend"};
  auto with = [](std::vector<std::string> labels, std::string extra) {
    labels.push_back(std::move(extra));
    return labels;
  };
  struct Declaration {
    FamilyId* id;
    FamilySpec spec;
  };
  Declaration declarations[] = {
      {&m.http_requests_, FamilySpec::counter("tidegate_http_requests_total",
                                              "Requests answered, by route and status class.",
                                              with(route_labels, "code_class"))},
      {&m.http_duration_,
       latency("tidegate_http_request_duration_seconds",
               "Time from the request head read to the last response byte written.", route_labels)},
      {&m.http_bytes_received_,
       FamilySpec::counter("tidegate_http_bytes_received_total",
                           "Request bytes received from clients.", route_labels)},
      {&m.http_bytes_sent_, FamilySpec::counter("tidegate_http_bytes_sent_total",
                                                "Response bytes sent to clients.", route_labels)},
      {&m.http_in_flight_, FamilySpec::gauge("tidegate_http_requests_in_flight",
                                             "Requests being served.", route_labels)},
      {&m.up_requests_, FamilySpec::counter("tidegate_upstream_requests_total",
                                            "Requests served by a backend, by status class.",
                                            with(backend_labels, "code_class"))},
      {&m.up_duration_,
       latency("tidegate_upstream_request_duration_seconds",
               "From the request sent to a backend to its response relayed to the client.",
               backend_labels)},
      {&m.up_bytes_sent_,
       FamilySpec::counter("tidegate_upstream_bytes_sent_total",
                           "Request bytes (from clients) of the requests backends served.",
                           backend_labels)},
      {&m.up_bytes_received_,
       FamilySpec::counter("tidegate_upstream_bytes_received_total",
                           "Response bytes (to clients) of the requests backends served.",
                           backend_labels)},
      {&m.up_connect_failures_,
       FamilySpec::counter("tidegate_upstream_connect_failures_total",
                           "Failed connection attempts to backends.", backend_labels)},
      {&m.up_timeouts_,
       FamilySpec::counter("tidegate_upstream_timeouts_total",
                           "Connect or response timeouts waiting on backends.", backend_labels)},
      {&m.up_in_flight_,
       FamilySpec::gauge("tidegate_upstream_requests_in_flight",
                         "Requests sent to a backend and not yet answered.", backend_labels)},
      {&m.up_replicas_,
       FamilySpec::gauge("tidegate_upstream_replicas", "Backends in the pool.", {"upstream"})},
      {&m.up_backend_load_,
       FamilySpec::latestGauge("tidegate_upstream_backend_load",
                               "The load a backend last reported in its load header.",
                               backend_labels)},
      {&m.lua_errors_,
       FamilySpec::counter("tidegate_lua_errors_total",
                           "Route script hook failures (errors, time limit, memory).",
                           route_labels)},
  };
  for (Declaration& d : declarations) {
    auto id = registry.declare(std::move(d.spec));
    if (!id) return id.error();
    *d.id = *id;
  }
  auto active = registry.declare(
      FamilySpec::gauge("tidegate_http_connections_active", "Open client connections.", {}));
  if (!active) return active.error();
  auto active_series = as<GaugeId>(registry.series(*active, {}));
  if (!active_series) return active_series.error();
  m.connections_active_ = *active_series;
  auto total = registry.declare(
      FamilySpec::counter("tidegate_http_connections_total", "Client connections accepted.", {}));
  if (!total) return total.error();
  auto total_series = as<CounterId>(registry.series(*total, {}));
  if (!total_series) return total_series.error();
  m.connections_total_ = *total_series;

  auto unmatched = m.route("", "");
  if (!unmatched) return unmatched.error();
  m.unmatched_ = *unmatched;
  return m;
}

Result<RouteSeries> RequestMetrics::route(std::string_view route, std::string_view upstream) {
  RouteSeries s{};
  for (size_t c = 0; c < kStatusClasses; ++c) {
    auto id = as<CounterId>(registry_->series(
        http_requests_, {route, upstream, statusClassLabel(static_cast<StatusClass>(c))}));
    if (!id) return id.error();
    s.requests[c] = *id;
  }
  auto duration = as<HistogramId>(registry_->series(http_duration_, {route, upstream}));
  if (!duration) return duration.error();
  s.duration = *duration;
  auto received = as<CounterId>(registry_->series(http_bytes_received_, {route, upstream}));
  if (!received) return received.error();
  s.bytes_received = *received;
  auto sent = as<CounterId>(registry_->series(http_bytes_sent_, {route, upstream}));
  if (!sent) return sent.error();
  s.bytes_sent = *sent;
  auto in_flight = as<GaugeId>(registry_->series(http_in_flight_, {route, upstream}));
  if (!in_flight) return in_flight.error();
  s.in_flight = *in_flight;
  auto lua_errors = as<CounterId>(registry_->series(lua_errors_, {route, upstream}));
  if (!lua_errors) return lua_errors.error();
  s.lua_errors = *lua_errors;
  return s;
}

Result<BackendSeries> RequestMetrics::backend(std::string_view upstream, std::string_view backend) {
  BackendSeries s{};
  for (size_t c = 0; c < kStatusClasses; ++c) {
    auto id = as<CounterId>(registry_->series(
        up_requests_, {upstream, backend, statusClassLabel(static_cast<StatusClass>(c))}));
    if (!id) return id.error();
    s.requests[c] = *id;
  }
  auto duration = as<HistogramId>(registry_->series(up_duration_, {upstream, backend}));
  if (!duration) return duration.error();
  s.duration = *duration;
  std::pair<FamilyId, CounterId*> counters[] = {{up_bytes_sent_, &s.bytes_sent},
                                                {up_bytes_received_, &s.bytes_received},
                                                {up_connect_failures_, &s.connect_failures},
                                                {up_timeouts_, &s.timeouts}};
  for (auto& [family, out] : counters) {
    auto id = as<CounterId>(registry_->series(family, {upstream, backend}));
    if (!id) return id.error();
    *out = *id;
  }
  auto in_flight = as<GaugeId>(registry_->series(up_in_flight_, {upstream, backend}));
  if (!in_flight) return in_flight.error();
  s.in_flight = *in_flight;
  auto load = as<GaugeId>(registry_->series(up_backend_load_, {upstream, backend}));
  if (!load) return load.error();
  s.reported_load = *load;
  return s;
}

Result<PoolSeries> RequestMetrics::pool(std::string_view upstream) {
  auto replicas = as<GaugeId>(registry_->series(up_replicas_, {upstream}));
  if (!replicas) return replicas.error();
  return PoolSeries{*replicas};
}

}  // namespace tidegate::metrics
