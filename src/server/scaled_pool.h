#pragma once
// ScaledPool: one autoscaled upstream as the server runs it — its provider (local processes),
// the metric source its policy reads, and the Autoscaler engine, ticked every
// `scale.interval` on the control thread. The server owns one per upstream with `scale:`.

#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "config/scale_schema.h"
#include "core/result.h"
#include "scale/autoscaler.h"
#include "scale/event_log.h"
#include "scale/process_provider.h"
#include "server/pool_metric_source.h"
#include "server/telemetry.h"

namespace tidegate::server {

class ScaledPool {
 public:
  // Fails when the policy cannot be built or the provider is unknown.
  static Result<std::unique_ptr<ScaledPool>> create(asio::io_context& control, std::string pool,
                                                    const config::ScaleConfig& config,
                                                    scale::PoolMembership& membership,
                                                    Telemetry& telemetry, scale::EventLog& events);

  // Starts ticking (the first tick brings the pool to `min`).
  void start();
  // Stops ticking, drains and stops every instance, then calls `done`.
  void shutdown(std::function<void()> done);

  const std::string& pool() const { return pool_; }
  scale::ProcessProvider& provider() { return *provider_; }
  scale::Autoscaler& autoscaler() { return *autoscaler_; }

 private:
  ScaledPool(asio::io_context& control, std::string pool)
      : pool_(std::move(pool)), timer_(control) {}
  void schedule();

  std::string pool_;
  int64_t interval_ms_ = 1000;
  asio::steady_timer timer_;
  std::unique_ptr<scale::ProcessProvider> provider_;
  std::unique_ptr<PoolMetricSource> metrics_;
  std::unique_ptr<scale::Autoscaler> autoscaler_;
  Telemetry* telemetry_ = nullptr;
  bool stopped_ = false;
};

}  // namespace tidegate::server
