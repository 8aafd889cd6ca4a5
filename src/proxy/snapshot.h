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
#include "proxy/router.h"
#include "upstream/backend.h"
#include "upstream/balancer.h"

namespace tidegate::proxy {

struct Pool {
  std::string name;
  upstream::BalanceKind balance = upstream::BalanceKind::kRoundRobin;
  config::HashBy hash_by = config::HashBy::kClientIp;
  std::string hash_name;
  uint32_t keepalive_max_idle = 64;
  std::vector<upstream::BackendPtr> backends;
};

struct Snapshot {
  Snapshot(std::shared_ptr<const config::Config> c, uint64_t gen)
      : config(std::move(c)), router(*config), generation(gen) {}

  std::shared_ptr<const config::Config> config;
  Router router;
  std::vector<Pool> pools;
  std::vector<uint32_t> route_pool;  // route index -> pool index
  http::ParserLimits parser_limits;
  uint64_t generation;
};

// A worker's own view of a Snapshot: the shared, immutable part plus the worker-local
// balancers built from it. Pinned with a non-atomic LocalRef.
struct WorkerSnapshot {
  std::shared_ptr<const Snapshot> shared;
  std::vector<std::unique_ptr<upstream::Balancer>> balancers;  // by pool index
  int local_refs = 0;
};

}  // namespace tidegate::proxy
