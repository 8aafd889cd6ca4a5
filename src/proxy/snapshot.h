#pragma once
// Snapshot: everything a request reads from configuration and membership, immutable once
// published. The control thread builds a new one on reload or membership change and posts
// it to every worker; each worker pins it per request (WorkerSnapshot), so in-flight
// requests finish on the snapshot they started with.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/schema.h"
#include "http/parser.h"
#include "lua/request_context.h"
#include "lua/script.h"
#include "metrics/request_metrics.h"
#include "proxy/router.h"
#include "upstream/backend.h"
#include "upstream/balancer.h"
#include "upstream/scraped_values.h"

namespace tidegate::proxy {

struct Pool {
  std::string name;
  upstream::BalanceKind balance = upstream::BalanceKind::kRoundRobin;
  config::HashBy hash_by = config::HashBy::kClientIp;
  std::string hash_name;
  uint32_t keepalive_max_idle = 64;
  std::string load_header;  // lower case; empty: backends report no load
  std::vector<upstream::BackendPtr> backends;
  // With a scrape: block, each backend's scraped values (parallel to `backends`); else empty.
  std::vector<std::shared_ptr<upstream::ScrapedValues>> scraped;
  // The same backends as Lua's balance() sees them; a new generation only when they change.
  std::shared_ptr<const lua::BackendSet> lua_backends;
  metrics::PoolSeries series{};
};

struct Snapshot {
  Snapshot(std::shared_ptr<const config::Config> c, uint64_t gen)
      : config(std::move(c)), router(*config), generation(gen) {}

  std::shared_ptr<const config::Config> config;
  Router router;
  std::vector<Pool> pools;
  std::vector<uint32_t> route_pool;                // route index -> pool index
  std::vector<metrics::RouteSeries> route_series;  // route index -> its metric series
  metrics::RouteSeries unmatched_series{};         // requests no route matched
  bool record_metrics = true;                      // config metrics.enabled
  metrics::GaugeId connections_active{};
  metrics::CounterId connections_total{};
  // Every route's script, checked as a whole; null when no route has one. Each worker loads
  // it into its own VM (WorkerSnapshot::scripts).
  std::shared_ptr<const lua::ScriptSet> scripts;
  http::ParserLimits parser_limits;
  uint64_t generation;

  // The index of the pool named `name`, or -1.
  int poolIndex(std::string_view name) const {
    for (size_t i = 0; i < pools.size(); ++i)
      if (pools[i].name == name) return int(i);
    return -1;
  }
};

// A worker's own view of a Snapshot: the shared, immutable part plus the worker-local
// balancers built from it. Pinned with a non-atomic LocalRef.
struct WorkerSnapshot {
  std::shared_ptr<const Snapshot> shared;
  std::vector<std::unique_ptr<upstream::Balancer>> balancers;  // by pool index
  // `shared->scripts` loaded into this worker's VM (shared with the next WorkerSnapshot when
  // the scripts did not change), and each route's script in it (null: none), by route index.
  std::shared_ptr<lua::LoadedScripts> scripts;
  std::vector<lua::Script*> route_scripts;
  int local_refs = 0;
};

}  // namespace tidegate::proxy
