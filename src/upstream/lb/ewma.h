#pragma once
// ewma: peak-EWMA balancing (Finagle, Linkerd). The cost of a backend is its peak-EWMA
// latency times (in-flight + 1), divided by its weight; two random candidates are drawn as
// in least_request and the cheaper one wins. Latency makes a slow backend lose even while
// its queue is short, and the in-flight factor stops a fast one from being buried.
//
// The EWMA is read decayed to "now" (Finagle decays it on every read): without that, a
// backend that once had a slow spike and then lost every comparison would never be tried
// again, so its EWMA would never come down.
//
// A backend with no latency sample yet (new, or forgotten after a long idle) costs
// kUnprobedCostUs (zero) while idle, less than any measured backend, so it is tried at once
// -- the "small default cost" of Envoy's peak-EWMA, taken to its limit; while
// that probe is in flight it costs kProbingPenaltyUs + in-flight, so a burst does not pile
// onto a backend whose speed nobody knows (the flood Finagle's and Envoy's peak-EWMA
// penalty exists to prevent).

#include <cstdint>
#include <span>

#include "upstream/balancer.h"
#include "upstream/lb/power_of_two.h"

namespace tidegate::upstream::lb {

class EwmaBalancer final : public Balancer {
 public:
  static constexpr double kUnprobedCostUs = 0.0;
  static constexpr double kProbingPenaltyUs = 1e12;  // ~11.6 days: above any real cost

  EwmaBalancer(std::span<const BackendPtr> backends, uint64_t seed) : choices_(backends, seed) {}

  const Backend* pick(const PickContext& ctx) override;

  // The cost described above, at `now_ms`; lower is better. Public for tests and for the
  // Lua backends API, which shows it to scripts.
  static double cost(const Backend& backend, int64_t now_ms);

 private:
  PowerOfTwoChoices choices_;
};

}  // namespace tidegate::upstream::lb
