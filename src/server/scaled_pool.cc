#include "server/scaled_pool.h"

#include "core/clock.h"
#include "scale/lua_policy.h"
#include "scale/policy_factory.h"

namespace tidegate::server {

Result<std::unique_ptr<ScaledPool>> ScaledPool::create(asio::io_context& control, std::string pool,
                                                       const config::ScaleConfig& config,
                                                       scale::PoolMembership& membership,
                                                       Telemetry& telemetry,
                                                       scale::EventLog& events) {
  if (config.provider != "process")
    return Error(ErrorSource::kConfig,
                 "upstream " + pool + ": unknown scale provider '" + config.provider + "'");
  auto policy = scale::makePolicy(config.policy);
  if (!policy)
    return Error(ErrorSource::kConfig,
                 "upstream " + pool + ": policy: " + policy.error().message());
  std::unique_ptr<ScaledPool> p(new ScaledPool(control, pool));
  p->interval_ms_ = config.interval_ms;
  p->telemetry_ = &telemetry;
  ScaledPool* self = p.get();
  p->provider_ = std::make_unique<scale::ProcessProvider>(
      control, pool, config.process, membership, [self](scale::ProviderEvent e) {
        if (self->autoscaler_) self->autoscaler_->onProviderEvent(e, coarseNowMs());
      });
  p->metrics_ = std::make_unique<PoolMetricSource>(pool, telemetry,
                                                   [self] { return self->provider_->instances(); });
  // Lua policies read the recent events as ctx.events.
  if (auto* lua = dynamic_cast<scale::LuaPolicy*>(policy.value().get()))
    lua->attachEventLog(&events, pool);
  p->autoscaler_ = std::make_unique<scale::Autoscaler>(pool, config, std::move(policy.value()),
                                                       *p->provider_, *p->metrics_, events);
  return p;
}

void ScaledPool::start() {
  autoscaler_->tick(coarseNowMs());
  schedule();
}

void ScaledPool::schedule() {
  timer_.expires_after(std::chrono::milliseconds(interval_ms_));
  timer_.async_wait([this](std::error_code ec) {
    if (ec || stopped_) return;
    telemetry_->fold();  // the policy sees the last second's requests
    autoscaler_->tick(coarseNowMs());
    schedule();
  });
}

void ScaledPool::shutdown(std::function<void()> done) {
  stopped_ = true;
  timer_.cancel();
  provider_->shutdown(std::move(done));
}

}  // namespace tidegate::server
