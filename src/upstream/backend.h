#pragma once
// A Backend is one instance of an upstream pool. Its live stats are shared by every worker
// as relaxed atomics on their own cache line: one true view of in-flight requests, latency
// and errors for the balancers, Lua scripts and the autoscaler. Backends outlive snapshots:
// the same address keeps the same Backend (and stats) across reloads.

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "metrics/request_metrics.h"
#include "net/address.h"

namespace tidegate::upstream {

struct alignas(64) BackendStats {
  std::atomic<int32_t> inflight{0};
  // Peak-EWMA of response latency in microseconds (Finagle): rises at once to a slower
  // sample, decays toward faster ones with time constant kEwmaDecayMs.
  std::atomic<double> ewma_latency_us{0.0};
  std::atomic<int64_t> ewma_stamp_ms{0};
  // Exponentially weighted error rate in [0, 1] over recent requests.
  std::atomic<double> error_rate{0.0};
  std::atomic<uint32_t> consecutive_failures{0};
  // Passive health: while now < ejected_until_ms, balancers avoid this backend.
  std::atomic<int64_t> ejected_until_ms{0};
  std::atomic<uint64_t> requests_total{0};
  std::atomic<uint64_t> failures_total{0};
  // The load the backend last reported in its pool's load header; NaN: never reported.
  std::atomic<double> reported_load{std::numeric_limits<double>::quiet_NaN()};
};

class Backend {
 public:
  static constexpr double kEwmaDecayMs = 10000.0;
  static constexpr uint32_t kEjectAfterFailures = 5;
  static constexpr int64_t kEjectForMs = 5000;

  Backend(std::string id, net::Address address, uint32_t weight)
      : id_(std::move(id)), address_(address), weight_(weight) {}

  const std::string& id() const { return id_; }  // "host:port", unique in a pool
  const net::Address& address() const { return address_; }
  uint32_t weight() const { return weight_; }
  BackendStats& stats() const { return stats_; }
  // Its metric series (labels upstream, backend): set once by the control thread before the
  // backend is published, then read by workers.
  const metrics::BackendSeries& series() const { return series_; }
  void setSeries(const metrics::BackendSeries& series) { series_ = series; }

  bool ejected(int64_t now_ms) const {
    return stats_.ejected_until_ms.load(std::memory_order_relaxed) > now_ms;
  }

  // Called by the proxy around each request sent to this backend (any thread).
  void onRequestStart() const { stats_.inflight.fetch_add(1, std::memory_order_relaxed); }
  void onRequestEnd(int64_t now_ms, int64_t latency_us, bool failed) const;

 private:
  std::string id_;
  net::Address address_;
  uint32_t weight_;
  metrics::BackendSeries series_{};
  mutable BackendStats stats_;
};

using BackendPtr = std::shared_ptr<const Backend>;

}  // namespace tidegate::upstream
