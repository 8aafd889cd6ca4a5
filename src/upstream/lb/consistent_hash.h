#pragma once
// consistent_hash: a hash ring (ketama, as nginx's `hash ... consistent` and Envoy's
// RING_HASH) keyed by PickContext::hash_key, so one client, session or tenant keeps
// landing on the same backend, and a membership change moves only about 1/N of the keys.
//
// Each backend owns kPointsPerWeight x weight points on a 64-bit ring, at the hashes of
// "<id>#0", "<id>#1", ...; a key goes to the first point at or after its own hash. Points
// depend only on the backend's id and weight, so every worker and every gateway instance
// builds the same ring, and adding or removing a backend leaves every other backend's
// points where they were. A ring was chosen over jump hash (no weights, and it can only
// drop the last bucket) and Maglev (its table shuffles a few keys between survivors);
// the O(log points) lookup is about a dozen comparisons for real pools.
//
// Only when 160 x total weight exceeds kMaxRingPoints (more than 409 weight units, e.g.
// 10 backends of weight 100) are all point counts scaled down to fit; then a membership
// change rescales them and moves somewhat more than 1/N of the keys.
//
// Skipping: an ineligible backend's points are passed over clockwise, so its keys spread
// over its ring neighbours and come back when it recovers. An empty key (no header, no
// cookie) lands on a random point: a weight-proportional spread, seeded per worker.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "upstream/balancer.h"
#include "upstream/lb/eligibility.h"
#include "upstream/lb/fast_random.h"

namespace tidegate::upstream::lb {

class ConsistentHashBalancer final : public Balancer {
 public:
  static constexpr uint32_t kPointsPerWeight = 160;
  static constexpr size_t kMaxRingPoints = 1 << 16;

  ConsistentHashBalancer(std::span<const BackendPtr> backends, uint64_t seed);

  const Backend* pick(const PickContext& ctx) override;

  // The ring's hash: FNV-1a 64 finished with MurmurHash3's fmix64, so the high bits that
  // decide ring order depend on every input byte. Stable across builds, platforms and
  // processes (std::hash is none of these), which the "same ring everywhere" rule needs.
  static uint64_t hash(std::string_view bytes);

  size_t ringSize() const { return ring_hashes_.size(); }

 private:
  const Backend* walk(size_t start, const PickContext& ctx, Tier tier) const;

  std::span<const BackendPtr> backends_;
  // The ring, sorted by hash: parallel arrays so the binary search touches only hashes.
  std::vector<uint64_t> ring_hashes_;
  std::vector<uint32_t> ring_backends_;
  FastRandom spread_;
};

}  // namespace tidegate::upstream::lb
