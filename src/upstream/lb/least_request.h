#pragma once
// least_request: power of two random choices over in-flight requests (Envoy's
// LEAST_REQUEST). In-flight counts are the shared atomics of each Backend, so every worker
// sees the load the others put on a backend.
//
// Weights: candidates are drawn in proportion to weight, and compared by in-flight per unit
// of weight (x.inflight / x.weight < y.inflight / y.weight, cross-multiplied in integers).
// An idle pool therefore splits traffic by weight exactly, and a loaded one settles where a
// weight-2 backend carries twice the in-flight requests of a weight-1 backend.

#include <cstdint>
#include <span>

#include "upstream/balancer.h"
#include "upstream/lb/power_of_two.h"

namespace tidegate::upstream::lb {

class LeastRequestBalancer final : public Balancer {
 public:
  LeastRequestBalancer(std::span<const BackendPtr> backends, uint64_t seed)
      : choices_(backends, seed) {}

  const Backend* pick(const PickContext& ctx) override;

 private:
  PowerOfTwoChoices choices_;
};

}  // namespace tidegate::upstream::lb
