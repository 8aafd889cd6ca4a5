#include "server/telemetry.h"

#include "core/log.h"
#include "metrics/prometheus.h"

namespace tidegate::server {

Result<std::unique_ptr<Telemetry>> Telemetry::create() {
  std::unique_ptr<Telemetry> t(new Telemetry());
  auto requests = metrics::RequestMetrics::declare(t->registry_);
  if (!requests) return requests.error();
  t->requests_.emplace(std::move(requests.value()));
  auto host = metrics::HostMetrics::declare(t->registry_);
  if (!host) return host.error();
  t->host_.emplace(std::move(host.value()));
  auto scrapes = metrics::ScrapeMetrics::declare(t->registry_);
  if (!scrapes) return scrapes.error();
  t->scrapes_.emplace(std::move(scrapes.value()));
  t->control_shard_->reserve(t->registry_.layout());
  t->aggregator_.addShard(t->control_shard_);
  t->lua_declarer_ = std::make_unique<lua::RegistryDeclarer>(t->registry_, t->control_shard_.get());
  return t;
}

void Telemetry::addShard(std::shared_ptr<metrics::MetricShard> shard) {
  shard->reserve(registry_.layout());
  aggregator_.addShard(shard);
  shards_.push_back(std::move(shard));
}

void Telemetry::reserveShards() {
  const metrics::ShardLayout layout = registry_.layout();
  control_shard_->reserve(layout);
  for (auto& s : shards_)
    s->reserve(layout);
}

void Telemetry::tick(const std::vector<LocalProcess>& processes) {
  auto host = sampler_.sampleHost();
  if (host) {
    host_->publish(*control_shard_, host.value());
  } else if (!host_warned_) {
    host_warned_ = true;
    log::warn("host metrics unavailable: {}", host.error().message());
  }
  bool reserved = false;
  for (const LocalProcess& p : processes) {
    auto series = host_->process(p.upstream, p.backend);
    if (!series) continue;
    if (!reserved) {
      control_shard_->reserve(registry_.layout());
      reserved = true;
    }
    auto sample = sampler_.sampleProcess(p.pid);
    if (sample) metrics::HostMetrics::publish(*control_shard_, *series, sample.value());
  }
  fold();
}

void Telemetry::fold() {
  aggregator_.fold();
}

std::string Telemetry::renderPrometheus() const {
  return metrics::renderPrometheus(registry_, aggregator_.totals());
}

}  // namespace tidegate::server
