#include "server/snapshot_builder.h"

#include "core/log.h"
#include "net/address.h"

namespace tidegate::server {

Result<upstream::BackendPtr> BackendRegistry::get(const std::string& pool,
                                                  const std::string& address, uint32_t weight) {
  auto it = entries_.find(key(pool, address, weight));
  if (it == entries_.end()) {
    auto addr = net::parseAddress(address);
    if (!addr) return Error(ErrorSource::kConfig, "invalid backend address " + address);
    auto b = std::make_shared<upstream::Backend>(address, *addr, weight);
    if (metrics_) {
      auto series = metrics_->backend(pool, address);
      if (!series) return series.error();
      b->setSeries(*series);
    }
    it = entries_.emplace(key(pool, address, weight), Entry{std::move(b), nullptr, false}).first;
  }
  it->second.used = true;
  return it->second.backend;
}

std::shared_ptr<upstream::ScrapedValues> BackendRegistry::scraped(
    const std::string& pool, const std::string& address, uint32_t weight,
    const std::vector<std::string>& names) {
  Entry& e = entries_.at(key(pool, address, weight));
  if (!e.scraped || e.scraped->names() != names)
    e.scraped = std::make_shared<upstream::ScrapedValues>(names);
  return e.scraped;
}

std::shared_ptr<const proxy::PoolBackendSet> BackendRegistry::backendSet(
    const std::string& pool, const std::vector<upstream::BackendPtr>& backends,
    const proxy::PoolBackendSet::Scraped& scraped) {
  PoolSets& sets = sets_[pool];
  if (!sets.current || !sets.current->sameAs(backends, scraped))
    sets.current = std::make_shared<const proxy::PoolBackendSet>(
        sets.identity.get(), ++set_generation_, backends, scraped);
  return sets.current;
}

void BackendRegistry::sweepUnused() {
  std::erase_if(entries_, [](auto& kv) { return !kv.second.used; });
  for (auto& [k, e] : entries_)
    e.used = false;
}

namespace {
upstream::BalanceKind kindOf(config::Balance b) {
  switch (b) {
    case config::Balance::kLeastRequest:
      return upstream::BalanceKind::kLeastRequest;
    case config::Balance::kEwma:
      return upstream::BalanceKind::kEwma;
    case config::Balance::kConsistentHash:
      return upstream::BalanceKind::kConsistentHash;
    default:
      return upstream::BalanceKind::kRoundRobin;
  }
}
}  // namespace

Result<std::shared_ptr<const proxy::Snapshot>> buildSnapshot(
    std::shared_ptr<const config::Config> config, BackendRegistry& registry, uint64_t generation,
    size_t max_buffer, const SnapshotInputs& inputs) {
  auto snap = std::make_shared<proxy::Snapshot>(config, generation);
  snap->scripts = inputs.scripts;
  snap->record_metrics = config->metrics_enabled;
  std::map<std::string, uint32_t> pool_index;
  for (const auto& u : config->upstreams) {
    proxy::Pool pool;
    pool.name = u.name;
    pool.balance = kindOf(u.balance);
    pool.hash_by = u.hash_by;
    pool.hash_name = u.hash_name;
    pool.keepalive_max_idle = u.keepalive_max_idle;
    pool.load_header = u.load_header;
    const std::vector<std::string>* members = nullptr;
    if (u.scale && inputs.membership) {
      auto it = inputs.membership->find(u.name);
      if (it != inputs.membership->end()) members = &it->second;
    }
    std::vector<std::string> scrape_names;
    if (u.scrape)
      for (const auto& m : u.scrape->metrics)
        scrape_names.push_back(m.name);
    auto add = [&](const std::string& address, uint32_t weight) -> Result<Ok> {
      auto backend = registry.get(u.name, address, weight);
      if (!backend) return backend.error();
      pool.backends.push_back(std::move(backend.value()));
      if (u.scrape) pool.scraped.push_back(registry.scraped(u.name, address, weight, scrape_names));
      return Ok{};
    };
    if (members) {
      for (const auto& address : *members)
        if (auto added = add(address, 1); !added) return added.error();
    } else {
      for (const auto& b : u.backends)
        if (auto added = add(b.address, b.weight); !added) return added.error();
    }
    pool.lua_backends = registry.backendSet(u.name, pool.backends, pool.scraped);
    if (inputs.metrics) {
      auto series = inputs.metrics->pool(u.name);
      if (!series) return series.error();
      pool.series = *series;
    }
    pool_index[u.name] = uint32_t(snap->pools.size());
    snap->pools.push_back(std::move(pool));
  }
  registry.sweepUnused();
  for (const auto& r : snap->router.routes()) {
    auto it = pool_index.find(r.upstream);
    if (it == pool_index.end())
      return Error(ErrorSource::kConfig,
                   "route " + r.name + " names unknown upstream " + r.upstream);
    snap->route_pool.resize(std::max(snap->route_pool.size(), r.index + 1));
    snap->route_pool[r.index] = it->second;
    snap->route_series.resize(snap->route_pool.size());
    if (inputs.metrics) {
      auto series = inputs.metrics->route(r.name, r.upstream);
      if (!series) return series.error();
      snap->route_series[r.index] = *series;
    }
  }
  if (inputs.metrics) {
    snap->unmatched_series = inputs.metrics->unmatched();
    snap->connections_active = inputs.metrics->connectionsActive();
    snap->connections_total = inputs.metrics->connectionsTotal();
  }
  const auto& l = config->limits;
  snap->parser_limits.max_head_bytes = std::min<uint64_t>(l.max_head_bytes, max_buffer);
  snap->parser_limits.max_request_line = std::min<uint64_t>(l.max_request_line, max_buffer);
  snap->parser_limits.max_headers = l.max_headers;
  if (l.max_head_bytes > max_buffer)
    log::warn(
        "limits.max_head_bytes {} exceeds the read buffer ({} bytes) chosen at start; "
        "restart to raise it",
        l.max_head_bytes, max_buffer);
  return std::shared_ptr<const proxy::Snapshot>(std::move(snap));
}

}  // namespace tidegate::server
