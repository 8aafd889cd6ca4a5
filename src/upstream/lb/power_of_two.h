#pragma once
// PowerOfTwoChoices: the sampling half of least_request and ewma. Draw two distinct
// backends at random and keep the less loaded one (Mitzenmacher; Envoy's LEAST_REQUEST):
// nearly as good as scanning the whole pool, O(1) per pick, and it avoids the herd that a
// global "least loaded" causes when many workers read the same stale minimum at once.
//
// Weights bias the draw: each candidate is drawn with probability weight / total (the
// second from the pool without the first). With load ties (an idle pool) the first draw
// wins, so traffic is exactly weight-proportional at low load; under load the caller's
// comparison, which divides load by weight, equalises load per unit of weight.
//
// Worker-local (owns its random state); called only from the worker that built it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/backend.h"
#include "upstream/balancer.h"
#include "upstream/lb/eligibility.h"
#include "upstream/lb/fast_random.h"

namespace tidegate::upstream::lb {

class PowerOfTwoChoices {
 public:
  PowerOfTwoChoices(std::span<const BackendPtr> backends, uint64_t seed);

  // Returns the better of two distinct eligible backends: `lessLoaded(x, y)` says x is
  // strictly better than y; ties keep the first draw. Falls back as eligibility.h says;
  // nullptr when nothing is eligible.
  template <typename LessLoaded>
  const Backend* pick(const PickContext& ctx, LessLoaded lessLoaded) {
    for (Tier tier : kTiers) {
      size_t first = drawEligible(ctx, tier, kNone);
      if (first == kNone) continue;
      size_t second = drawEligible(ctx, tier, first);
      const Backend& a = *backends_[first];
      if (second == kNone) return &a;
      const Backend& b = *backends_[second];
      return lessLoaded(b, a) ? &b : &a;
    }
    return nullptr;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  // Random draws before falling back to a scan: with half the pool ejected, 4 misses in a
  // row happen once in 16 picks, and the scan then costs one pass over the pool.
  static constexpr int kDrawAttempts = 4;

  size_t draw();
  size_t drawOther(size_t avoid);
  size_t drawEligible(const PickContext& ctx, Tier tier, size_t avoid);

  std::span<const BackendPtr> backends_;
  std::vector<uint64_t> cumulative_;  // cumulative_[i] = total weight of backends [0, i]
  bool uniform_ = true;               // all weights equal: skip the binary search
  FastRandom random_;
};

}  // namespace tidegate::upstream::lb
