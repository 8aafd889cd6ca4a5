#pragma once
// Which backends a pick may return, shared by every balancer so they agree on it. A pick
// first looks among healthy backends (neither the retry's `exclude` nor passively ejected);
// only when there is none does it fail open to ejected ones, because a backend that failed
// recently beats a certain 503. `exclude` is never returned: a retry to the backend that
// just failed is worse than no retry, so a pool holding only it yields nullptr.

#include <algorithm>
#include <cstdint>

#include "upstream/backend.h"
#include "upstream/balancer.h"

namespace tidegate::upstream::lb {

enum class Tier : uint8_t { kHealthy, kFailOpen };

// The tiers in the order a pick tries them.
inline constexpr Tier kTiers[] = {Tier::kHealthy, Tier::kFailOpen};

inline bool eligible(const Backend& backend, const PickContext& ctx, Tier tier) {
  if (&backend == ctx.exclude) return false;
  return tier == Tier::kFailOpen || !backend.ejected(ctx.now_ms);
}

// Config validates weights to 1..1000; a 0 from code elsewhere must not divide by zero or
// starve a backend forever, so it counts as 1.
inline uint32_t effectiveWeight(const Backend& backend) {
  return std::max<uint32_t>(1, backend.weight());
}

// In-flight requests as seen right now; a relaxed counter racing an end-before-start
// bookkeeping slip must never read as negative load.
inline int64_t inflightOf(const Backend& backend) {
  return std::max<int32_t>(0, backend.stats().inflight.load(std::memory_order_relaxed));
}

}  // namespace tidegate::upstream::lb
