#pragma once
// Balancer: picks one backend of a pool for a request. One instance per worker per pool
// (its state, e.g. round-robin position, is worker-local: no locks); live stats it reads
// are the shared atomics of each Backend. Built on the worker thread when a snapshot is
// installed; called only from that worker.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "upstream/backend.h"

namespace tidegate::upstream {

enum class BalanceKind : uint8_t { kRoundRobin, kLeastRequest, kEwma, kConsistentHash };

struct PickContext {
  int64_t now_ms = 0;
  std::string_view hash_key;         // consistent_hash: header/cookie/client-IP value
  const Backend* exclude = nullptr;  // retry: avoid the backend that just failed
};

class Balancer {
 public:
  virtual ~Balancer() = default;
  // Returns nullptr only when the pool is empty (or holds only `exclude`). Ejected backends
  // are skipped unless every backend is ejected (then they are used anyway: fail open).
  virtual const Backend* pick(const PickContext& ctx) = 0;
};

// `backends` must outlive the balancer (they are owned by the snapshot it was built from).
std::unique_ptr<Balancer> makeBalancer(BalanceKind kind, std::span<const BackendPtr> backends,
                                       uint64_t seed);

}  // namespace tidegate::upstream
