#pragma once
// Helpers for balancer tests: pools of real Backends on 127.0.0.1 and pick counting.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "upstream/backend.h"
#include "upstream/balancer.h"

namespace tidegate::upstream::testing {

inline BackendPtr makeBackend(uint16_t port, uint32_t weight = 1) {
  std::string id = "127.0.0.1:" + std::to_string(port);
  auto address = net::parseAddress(id);
  return std::make_shared<const Backend>(id, *address, weight);
}

// Backends on ports 9001, 9002, ... with the given weights.
inline std::vector<BackendPtr> makePool(std::initializer_list<uint32_t> weights) {
  std::vector<BackendPtr> pool;
  uint16_t port = 9001;
  for (uint32_t weight : weights)
    pool.push_back(makeBackend(port++, weight));
  return pool;
}

inline std::vector<BackendPtr> makeEqualPool(size_t n) {
  std::vector<BackendPtr> pool;
  for (size_t i = 0; i < n; ++i)
    pool.push_back(makeBackend(uint16_t(9001 + i)));
  return pool;
}

// How many of `picks` picks went to each backend id (nullptr counts as "").
inline std::map<std::string, int> countPicks(Balancer& balancer, int picks,
                                             const PickContext& ctx = {}) {
  std::map<std::string, int> counts;
  for (int i = 0; i < picks; ++i) {
    const Backend* backend = balancer.pick(ctx);
    counts[backend ? backend->id() : ""]++;
  }
  return counts;
}

// Drives a backend into passive ejection, as kEjectAfterFailures failed requests would.
inline void eject(const Backend& backend, int64_t now_ms) {
  for (uint32_t i = 0; i < Backend::kEjectAfterFailures; ++i) {
    backend.onRequestStart();
    backend.onRequestEnd(now_ms, 1000, /*failed=*/true);
  }
}

}  // namespace tidegate::upstream::testing
