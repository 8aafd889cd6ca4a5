#include "upstream/lb/round_robin.h"

#include <algorithm>

namespace tidegate::upstream::lb {

RoundRobinBalancer::RoundRobinBalancer(std::span<const BackendPtr> backends, uint64_t seed)
    : backends_(backends), current_(backends.size(), 0) {
  if (backends.empty()) return;
  uint64_t total = 0;
  for (const BackendPtr& backend : backends)
    total += effectiveWeight(*backend);
  // Advancing the sequence, rather than rotating where the scan starts, shifts the phase
  // for unequal weights too, and leaves the exact per-cycle counts untouched.
  uint64_t steps = std::min(seed % total, kMaxWarmupSteps / backends.size());
  for (uint64_t i = 0; i < steps; ++i)
    step([](const Backend&) { return true; });
}

template <typename Admit>
int64_t RoundRobinBalancer::step(Admit admit) {
  int64_t best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < backends_.size(); ++i) {
    const Backend& backend = *backends_[i];
    if (!admit(backend)) continue;
    int64_t weight = effectiveWeight(backend);
    current_[i] += weight;
    total += weight;
    if (best < 0 || current_[i] > current_[best]) best = int64_t(i);
  }
  if (best >= 0) current_[best] -= total;
  return best;
}

const Backend* RoundRobinBalancer::pick(const PickContext& ctx) {
  for (Tier tier : kTiers) {
    int64_t chosen = step([&](const Backend& backend) { return eligible(backend, ctx, tier); });
    if (chosen >= 0) return backends_[chosen].get();
  }
  return nullptr;
}

}  // namespace tidegate::upstream::lb
