// The hash ring: stickiness, spread, minimal disruption on membership change, weights.

#include "upstream/lb/consistent_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using lb::ConsistentHashBalancer;
using testing::countPicks;
using testing::makeBackend;
using testing::makeEqualPool;
using testing::makePool;

constexpr int kKeys = 10000;

std::string keyOf(int i) {
  return "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
}

// The backend id each of kKeys keys lands on.
std::vector<std::string> assign(const std::vector<BackendPtr>& pool, uint64_t seed = 1) {
  ConsistentHashBalancer balancer(pool, seed);
  std::vector<std::string> owners;
  owners.reserve(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    std::string key = keyOf(i);
    PickContext ctx;
    ctx.hash_key = key;
    owners.push_back(balancer.pick(ctx)->id());
  }
  return owners;
}

TEST(ConsistentHashTest, HashIsStable) {
  // Pinned value (FNV-1a 64 + fmix64, checked against an independent Python version):
  // the ring must be identical across builds and gateway instances.
  EXPECT_EQ(ConsistentHashBalancer::hash(""), ConsistentHashBalancer::hash(""));
  EXPECT_NE(ConsistentHashBalancer::hash("a"), ConsistentHashBalancer::hash("b"));
  EXPECT_EQ(ConsistentHashBalancer::hash("127.0.0.1:9001#0"), 0xa424e7f8f842079fULL);
}

TEST(ConsistentHashTest, RingHasPointsPerWeight) {
  auto pool = makePool({1, 2, 3});
  ConsistentHashBalancer balancer(pool, 0);
  EXPECT_EQ(balancer.ringSize(), 6u * ConsistentHashBalancer::kPointsPerWeight);
}

TEST(ConsistentHashTest, HugeWeightsAreScaledToTheCap) {
  auto pool = makePool({1000, 1000, 1});
  ConsistentHashBalancer balancer(pool, 0);
  EXPECT_LE(balancer.ringSize(), ConsistentHashBalancer::kMaxRingPoints + pool.size());
  EXPECT_GE(balancer.ringSize(), ConsistentHashBalancer::kMaxRingPoints - pool.size());
}

TEST(ConsistentHashTest, SameKeySameBackend) {
  auto pool = makeEqualPool(4);
  ConsistentHashBalancer balancer(pool, 9);
  for (int i = 0; i < 500; ++i) {
    std::string key = keyOf(i);
    PickContext ctx;
    ctx.hash_key = key;
    const Backend* first = balancer.pick(ctx);
    for (int k = 0; k < 5; ++k)
      EXPECT_EQ(balancer.pick(ctx), first);
  }
}

TEST(ConsistentHashTest, IndependentOfSeedAndOrder) {
  // Every worker (different seed) and a reordered pool build the same ring.
  auto pool = makeEqualPool(4);
  std::vector<BackendPtr> reversed(pool.rbegin(), pool.rend());
  auto owners = assign(pool, 1);
  EXPECT_EQ(assign(pool, 99), owners);
  EXPECT_EQ(assign(reversed, 5), owners);
}

TEST(ConsistentHashTest, KeysSpreadEvenly) {
  auto pool = makeEqualPool(4);
  std::map<std::string, int> counts;
  for (const auto& owner : assign(pool))
    counts[owner]++;
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [id, n] : counts)
    EXPECT_NEAR(n, kKeys / 4, kKeys / 4 * 0.25) << id;
}

TEST(ConsistentHashTest, WeightsSkewTheSpread) {
  auto pool = makePool({1, 3});
  std::map<std::string, int> counts;
  for (const auto& owner : assign(pool))
    counts[owner]++;
  EXPECT_NEAR(counts[pool[1]->id()], kKeys * 3 / 4, kKeys * 0.06);
}

TEST(ConsistentHashTest, AddingAFifthBackendMovesAboutAFifth) {
  auto pool = makeEqualPool(4);
  auto before = assign(pool);
  pool.push_back(makeBackend(9005));
  auto after = assign(pool);
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] != after[i]) {
      ++moved;
      EXPECT_EQ(after[i], pool[4]->id()) << "a key moved between old backends";
    }
  }
  EXPECT_LT(moved, kKeys * 30 / 100);
  EXPECT_GT(moved, kKeys * 10 / 100);
}

TEST(ConsistentHashTest, RemovingABackendMovesOnlyItsKeys) {
  auto pool = makeEqualPool(5);
  auto before = assign(pool);
  std::string removed = pool[2]->id();
  pool.erase(pool.begin() + 2);
  auto after = assign(pool);
  for (int i = 0; i < kKeys; ++i) {
    if (before[i] != removed) {
      EXPECT_EQ(after[i], before[i]) << keyOf(i);
    }
  }
}

TEST(ConsistentHashTest, EjectedBackendsKeysGoToOthersAndComeBack) {
  auto pool = makeEqualPool(4);
  auto before = assign(pool);
  ConsistentHashBalancer balancer(pool, 1);
  testing::eject(*pool[0], 0);
  std::map<std::string, int> receivers;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = keyOf(i);
    PickContext ctx;
    ctx.hash_key = key;
    const Backend* owner = balancer.pick(ctx);
    if (before[i] == pool[0]->id()) {
      receivers[owner->id()]++;
    } else {
      EXPECT_EQ(owner->id(), before[i]);
    }
    ctx.now_ms = Backend::kEjectForMs;
    EXPECT_EQ(balancer.pick(ctx)->id(), before[i]);
  }
  // Its keys spread over its ring neighbours rather than all landing on one.
  EXPECT_EQ(receivers.size(), 3u);
  EXPECT_EQ(receivers.count(pool[0]->id()), 0u);
}

TEST(ConsistentHashTest, EmptyKeySpreadsAcrossBackends) {
  auto pool = makeEqualPool(4);
  ConsistentHashBalancer balancer(pool, 11);
  auto counts = countPicks(balancer, 8000);
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [id, n] : counts)
    EXPECT_NEAR(n, 2000, 400) << id;
}

}  // namespace
}  // namespace tidegate::upstream
