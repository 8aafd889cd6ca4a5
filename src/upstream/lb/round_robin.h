#pragma once
// round_robin: smooth weighted round robin (nginx's ngx_http_upstream_get_peer). Every
// pick adds each eligible backend's weight to its `current`, takes the largest, and takes
// the eligible total back from it. Over a cycle of total-weight picks each backend is
// chosen exactly `weight` times, and the picks are interleaved: weights {5, 1, 1} give
// a a b a c a a, not a a a a a b c.
//
// State is per worker (no shared writes). Each worker starts at a phase taken from its
// seed, so N workers do not all send their first request to the same backend.

#include <cstdint>
#include <span>
#include <vector>

#include "upstream/balancer.h"
#include "upstream/lb/eligibility.h"

namespace tidegate::upstream::lb {

class RoundRobinBalancer final : public Balancer {
 public:
  RoundRobinBalancer(std::span<const BackendPtr> backends, uint64_t seed);

  const Backend* pick(const PickContext& ctx) override;

 private:
  // Bounds the start-phase warm-up (picks x backends) so building a balancer for a huge,
  // heavily weighted pool stays well under a millisecond.
  static constexpr uint64_t kMaxWarmupSteps = 1 << 16;

  // One step of the algorithm over the backends `admit` accepts; returns the chosen index
  // or -1 when it accepts none.
  template <typename Admit>
  int64_t step(Admit admit);

  std::span<const BackendPtr> backends_;
  std::vector<int64_t> current_;
};

}  // namespace tidegate::upstream::lb
