#pragma once
// The gateway's standard request metrics: families declared once, handles per route, backend
// and pool resolved when config loads (control thread), and the inline recording calls the
// proxy makes once per request on its worker's shard (worker thread, no lookups, no locks).

#include <array>
#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "metrics/series_id.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::metrics {

enum class StatusClass : uint8_t { k1xx, k2xx, k3xx, k4xx, k5xx };
inline constexpr size_t kStatusClasses = 5;

// 100..199 -> 1xx ... 500..599 -> 5xx; anything else is a gateway bug, counted as 5xx.
constexpr StatusClass statusClassOf(int status) {
  if (status < 100 || status > 599) return StatusClass::k5xx;
  return static_cast<StatusClass>(status / 100 - 1);
}
constexpr std::string_view statusClassLabel(StatusClass c) {
  constexpr std::string_view kLabels[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  return kLabels[static_cast<size_t>(c)];
}

// Labels {route, upstream}. Requests that matched no route use RequestMetrics::unmatched().
struct RouteSeries {
  std::array<CounterId, kStatusClasses> requests;  // tidegate_http_requests_total
  HistogramId duration;                            // tidegate_http_request_duration_seconds
  CounterId bytes_received;                        // request bytes from the client
  CounterId bytes_sent;                            // response bytes to the client
  GaugeId in_flight;                               // tidegate_http_requests_in_flight
  CounterId lua_errors;                            // tidegate_lua_errors_total
};

// Labels {upstream, backend}.
struct BackendSeries {
  std::array<CounterId, kStatusClasses> requests;  // tidegate_upstream_requests_total
  HistogramId duration;                            // tidegate_upstream_request_duration_seconds
  CounterId bytes_sent;                            // request bytes to the backend
  CounterId bytes_received;                        // response bytes from the backend
  CounterId connect_failures;                      // tidegate_upstream_connect_failures_total
  CounterId timeouts;                              // tidegate_upstream_timeouts_total
  GaugeId in_flight;                               // tidegate_upstream_requests_in_flight
  GaugeId reported_load;                           // tidegate_upstream_backend_load
};

// Labels {upstream}; set by the control thread (autoscaler, membership).
struct PoolSeries {
  GaugeId replicas;  // tidegate_upstream_replicas
};

// Control thread: declares the families, then resolves handles as routes, backends and pools
// appear. Asking again for the same names returns the same handles (reloads keep totals).
class RequestMetrics {
 public:
  static Result<RequestMetrics> declare(SeriesRegistry& registry);

  Result<RouteSeries> route(std::string_view route, std::string_view upstream);
  Result<BackendSeries> backend(std::string_view upstream, std::string_view backend);
  Result<PoolSeries> pool(std::string_view upstream);
  // Requests no route matched (400, 404, …): empty route and upstream labels.
  const RouteSeries& unmatched() const { return unmatched_; }
  GaugeId connectionsActive() const {
    return connections_active_;
  }  // tidegate_http_connections_active
  CounterId connectionsTotal() const {
    return connections_total_;
  }  // tidegate_http_connections_total

 private:
  explicit RequestMetrics(SeriesRegistry& registry) : registry_(&registry) {}

  SeriesRegistry* registry_;
  FamilyId http_requests_, http_duration_, http_bytes_received_, http_bytes_sent_, http_in_flight_;
  FamilyId up_requests_, up_duration_, up_bytes_sent_, up_bytes_received_, up_connect_failures_,
      up_timeouts_, up_in_flight_, up_replicas_, up_backend_load_, lua_errors_;
  RouteSeries unmatched_{};
  GaugeId connections_active_;
  CounterId connections_total_;
};

// --- Worker thread, on its own shard ---

// One finished request: status class, latency, bytes from and to the client. `backend` is null
// when no backend served it (answered by the gateway: 404, rate limit, cache, Lua);
// `upstream_latency_us` is the backend's part (request sent -> response relayed), by default
// the whole latency.
inline void recordRequest(MetricShard& shard, const RouteSeries& route,
                          const BackendSeries* backend, StatusClass status_class,
                          uint64_t latency_us, uint64_t bytes_in, uint64_t bytes_out,
                          uint64_t upstream_latency_us = UINT64_MAX) {
  const size_t c = static_cast<size_t>(status_class);
  shard.add(route.requests[c]);
  shard.record(route.duration, latency_us);
  shard.add(route.bytes_received, bytes_in);
  shard.add(route.bytes_sent, bytes_out);
  if (backend != nullptr) {
    shard.add(backend->requests[c]);
    shard.record(backend->duration,
                 upstream_latency_us == UINT64_MAX ? latency_us : upstream_latency_us);
    shard.add(backend->bytes_sent, bytes_in);
    shard.add(backend->bytes_received, bytes_out);
  }
}
inline void upstreamConnectFailure(MetricShard& shard, const BackendSeries& backend) {
  shard.add(backend.connect_failures);
}
inline void upstreamTimeout(MetricShard& shard, const BackendSeries& backend) {
  shard.add(backend.timeouts);
}
// +1 when a request starts (route known), -1 when it ends: the worker's share of the gauge.
inline void routeInFlight(MetricShard& shard, const RouteSeries& route, int delta) {
  shard.add(route.in_flight, static_cast<double>(delta));
}
inline void backendInFlight(MetricShard& shard, const BackendSeries& backend, int delta) {
  shard.add(backend.in_flight, static_cast<double>(delta));
}
inline void connectionOpened(MetricShard& shard, const RequestMetrics& m) {
  shard.add(m.connectionsActive(), 1.0);
  shard.add(m.connectionsTotal());
}
inline void connectionClosed(MetricShard& shard, const RequestMetrics& m) {
  shard.add(m.connectionsActive(), -1.0);
}

}  // namespace tidegate::metrics
