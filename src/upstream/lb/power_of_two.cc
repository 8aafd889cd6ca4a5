#include "upstream/lb/power_of_two.h"

#include <algorithm>

namespace tidegate::upstream::lb {

PowerOfTwoChoices::PowerOfTwoChoices(std::span<const BackendPtr> backends, uint64_t seed)
    : backends_(backends), random_(seed) {
  cumulative_.reserve(backends.size());
  uint64_t total = 0;
  for (const BackendPtr& backend : backends) {
    uint32_t weight = effectiveWeight(*backend);
    if (weight != effectiveWeight(*backends.front())) uniform_ = false;
    total += weight;
    cumulative_.push_back(total);
  }
}

size_t PowerOfTwoChoices::draw() {
  if (uniform_) return random_.below(backends_.size());
  uint64_t r = random_.below(cumulative_.back());
  return std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
}

size_t PowerOfTwoChoices::drawOther(size_t avoid) {
  if (uniform_) {
    size_t i = random_.below(backends_.size() - 1);
    return i >= avoid ? i + 1 : i;
  }
  // Draw over the total without `avoid`'s share, then step over that share: exact, and it
  // never loops even when `avoid` holds nearly all the weight.
  uint64_t begin = avoid == 0 ? 0 : cumulative_[avoid - 1];
  uint64_t weight = cumulative_[avoid] - begin;
  uint64_t r = random_.below(cumulative_.back() - weight);
  if (r >= begin) r += weight;
  return std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
}

size_t PowerOfTwoChoices::drawEligible(const PickContext& ctx, Tier tier, size_t avoid) {
  size_t n = backends_.size();
  size_t available = avoid == kNone ? n : n - 1;
  if (available == 0) return kNone;
  for (int attempt = 0; attempt < kDrawAttempts; ++attempt) {
    size_t i = avoid == kNone ? draw() : drawOther(avoid);
    if (eligible(*backends_[i], ctx, tier)) return i;
  }
  // Sampling keeps hitting excluded or ejected backends: find any eligible one, starting
  // at a random place so the survivors share the load.
  size_t start = random_.below(n);
  for (size_t k = 0; k < n; ++k) {
    size_t i = start + k < n ? start + k : start + k - n;
    if (i != avoid && eligible(*backends_[i], ctx, tier)) return i;
  }
  return kNone;
}

}  // namespace tidegate::upstream::lb
