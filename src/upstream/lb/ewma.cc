#include "upstream/lb/ewma.h"

#include <cmath>

namespace tidegate::upstream::lb {

double EwmaBalancer::cost(const Backend& backend, int64_t now_ms) {
  const BackendStats& stats = backend.stats();
  double inflight = double(inflightOf(backend));
  double latency_us = stats.ewma_latency_us.load(std::memory_order_relaxed);
  int64_t age_ms = now_ms - stats.ewma_stamp_ms.load(std::memory_order_relaxed);
  if (age_ms > 0 && latency_us > 0.0) {
    latency_us *= std::exp(-double(age_ms) / Backend::kEwmaDecayMs);
  }
  // Below a microsecond nothing real was measured: the sample has decayed to nothing, so
  // treat the backend as unprobed rather than as infinitely fast.
  if (latency_us < 1.0) return inflight == 0 ? kUnprobedCostUs : kProbingPenaltyUs + inflight;
  return latency_us * (inflight + 1) / effectiveWeight(backend);
}

const Backend* EwmaBalancer::pick(const PickContext& ctx) {
  return choices_.pick(ctx, [now = ctx.now_ms](const Backend& x, const Backend& y) {
    return cost(x, now) < cost(y, now);
  });
}

}  // namespace tidegate::upstream::lb
