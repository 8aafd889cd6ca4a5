#pragma once
// Turns a validated Config into a Snapshot for the workers. Backends are kept in a
// registry across builds so that a backend that stays in a pool keeps its live stats (and
// its pooled connections) through a reload. Control thread only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/schema.h"
#include "core/result.h"
#include "lua/script.h"
#include "metrics/request_metrics.h"
#include "proxy/lua_backends.h"
#include "proxy/snapshot.h"

namespace tidegate::server {

class BackendRegistry {
 public:
  // `metrics` (may be null in tests) gives each new backend its series.
  explicit BackendRegistry(metrics::RequestMetrics* metrics = nullptr) : metrics_(metrics) {}

  // The Backend for `address` with `weight` in pool `pool`, reused when it existed before.
  Result<upstream::BackendPtr> get(const std::string& pool, const std::string& address,
                                   uint32_t weight);
  // The block the backend scraper fills for that backend (after get() for the same key): the
  // same one while the pool scrapes the same names, a new one when they change.
  std::shared_ptr<upstream::ScrapedValues> scraped(const std::string& pool,
                                                   const std::string& address, uint32_t weight,
                                                   const std::vector<std::string>& names);
  // Forgets backends not returned by get() since the last call.
  void sweepUnused();

  // The Lua view of pool `pool` holding `backends` (and their `scraped` blocks, if any): the
  // previous one while they are the same, else a new set with a new generation.
  std::shared_ptr<const proxy::PoolBackendSet> backendSet(
      const std::string& pool, const std::vector<upstream::BackendPtr>& backends,
      const proxy::PoolBackendSet::Scraped& scraped = {});

 private:
  struct Entry {
    upstream::BackendPtr backend;
    std::shared_ptr<upstream::ScrapedValues> scraped;
    bool used = false;
  };
  static std::string key(const std::string& pool, const std::string& address, uint32_t weight) {
    return pool + "|" + address + "|" + std::to_string(weight);
  }
  struct PoolSets {
    std::unique_ptr<char> identity = std::make_unique<char>();  // stable across generations
    std::shared_ptr<const proxy::PoolBackendSet> current;
  };
  metrics::RequestMetrics* metrics_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, PoolSets> sets_;
  uint64_t set_generation_ = 0;
};

// What a snapshot takes besides the config.
struct SnapshotInputs {
  metrics::RequestMetrics* metrics = nullptr;  // null (tests): series handles left zero
  std::shared_ptr<const lua::ScriptSet> scripts;
  // Backends of autoscaled pools, from their providers ("host:port" each), by pool name.
  const std::map<std::string, std::vector<std::string>>* membership = nullptr;
};

// `max_buffer` caps the parser's head limit (it is the size of a worker's read buffer).
Result<std::shared_ptr<const proxy::Snapshot>> buildSnapshot(
    std::shared_ptr<const config::Config> config, BackendRegistry& registry, uint64_t generation,
    size_t max_buffer, const SnapshotInputs& inputs = {});

}  // namespace tidegate::server
