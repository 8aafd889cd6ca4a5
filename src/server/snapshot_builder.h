#pragma once
// Turns a validated Config into a Snapshot for the workers. Backends are kept in a
// registry across builds so that a backend that stays in a pool keeps its live stats (and
// its pooled connections) through a reload. Control thread only.

#include <map>
#include <memory>
#include <string>

#include "config/schema.h"
#include "core/result.h"
#include "proxy/snapshot.h"

namespace tidegate::server {

class BackendRegistry {
 public:
  // The Backend for `address` with `weight` in pool `pool`, reused when it existed before.
  Result<upstream::BackendPtr> get(const std::string& pool, const std::string& address,
                                   uint32_t weight);
  // Forgets backends not returned by get() since the last call.
  void sweepUnused();

 private:
  struct Entry {
    upstream::BackendPtr backend;
    bool used = false;
  };
  std::map<std::string, Entry> entries_;
};

// `max_buffer` caps the parser's head limit (it is the size of a worker's read buffer).
Result<std::shared_ptr<const proxy::Snapshot>> buildSnapshot(
    std::shared_ptr<const config::Config> config, BackendRegistry& registry, uint64_t generation,
    size_t max_buffer);

}  // namespace tidegate::server
