#include "upstream/lb/consistent_hash.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tidegate::upstream::lb {

uint64_t ConsistentHashBalancer::hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

ConsistentHashBalancer::ConsistentHashBalancer(std::span<const BackendPtr> backends, uint64_t seed)
    : backends_(backends), spread_(seed) {
  if (backends.empty()) return;
  uint64_t total_weight = 0;
  for (const BackendPtr& backend : backends)
    total_weight += effectiveWeight(*backend);
  double scale = std::min(1.0, double(kMaxRingPoints) / double(kPointsPerWeight * total_weight));

  struct Point {
    uint64_t hash;
    uint32_t backend;
  };
  std::vector<Point> points;
  points.reserve(
      std::min<uint64_t>(kMaxRingPoints + backends.size(), kPointsPerWeight * total_weight));
  std::string name;
  for (uint32_t i = 0; i < backends.size(); ++i) {
    const Backend& backend = *backends[i];
    auto count = std::max<uint64_t>(
        1, uint64_t(std::llround(kPointsPerWeight * effectiveWeight(backend) * scale)));
    for (uint64_t p = 0; p < count; ++p) {
      name.assign(backend.id()).append("#").append(std::to_string(p));
      points.push_back({hash(name), i});
    }
  }
  // Equal hashes are ordered by id, not by position in the pool, so the ring does not
  // depend on the order backends were listed or discovered in.
  std::sort(points.begin(), points.end(), [&](const Point& a, const Point& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    return backends[a.backend]->id() < backends[b.backend]->id();
  });
  ring_hashes_.reserve(points.size());
  ring_backends_.reserve(points.size());
  for (const Point& point : points) {
    ring_hashes_.push_back(point.hash);
    ring_backends_.push_back(point.backend);
  }
}

const Backend* ConsistentHashBalancer::walk(size_t start, const PickContext& ctx, Tier tier) const {
  const Backend* owner = backends_[ring_backends_[start]].get();
  if (eligible(*owner, ctx, tier)) return owner;
  // Before walking a ring of thousands of points, make sure the walk can end.
  bool any = std::any_of(backends_.begin(), backends_.end(),
                         [&](const BackendPtr& backend) { return eligible(*backend, ctx, tier); });
  if (!any) return nullptr;
  size_t n = ring_hashes_.size();
  for (size_t k = 1;; ++k) {
    size_t i = start + k < n ? start + k : (start + k) % n;
    owner = backends_[ring_backends_[i]].get();
    if (eligible(*owner, ctx, tier)) return owner;
  }
}

const Backend* ConsistentHashBalancer::pick(const PickContext& ctx) {
  if (ring_hashes_.empty()) return nullptr;
  uint64_t h = ctx.hash_key.empty() ? spread_.next() : hash(ctx.hash_key);
  size_t start =
      std::lower_bound(ring_hashes_.begin(), ring_hashes_.end(), h) - ring_hashes_.begin();
  if (start == ring_hashes_.size()) start = 0;
  for (Tier tier : kTiers) {
    if (const Backend* backend = walk(start, ctx, tier)) return backend;
  }
  return nullptr;
}

}  // namespace tidegate::upstream::lb
