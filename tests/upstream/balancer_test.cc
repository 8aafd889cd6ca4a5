// The contract every balancer shares (upstream/balancer.h): empty pools, retry exclusion,
// passive ejection with fail-open, and recovery. Run against all four kinds.

#include "upstream/balancer.h"

#include <gtest/gtest.h>

#include <string>

#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using testing::countPicks;
using testing::eject;
using testing::makeEqualPool;
using testing::makePool;

constexpr int64_t kNow = 1'000'000;

class BalancerContractTest : public ::testing::TestWithParam<BalanceKind> {
 protected:
  std::unique_ptr<Balancer> make(const std::vector<BackendPtr>& pool, uint64_t seed = 7) {
    return makeBalancer(GetParam(), pool, seed);
  }
  // Varied keys so consistent_hash exercises more than one ring position.
  static PickContext contextFor(int i, const Backend* exclude = nullptr) {
    PickContext ctx;
    ctx.now_ms = kNow;
    ctx.exclude = exclude;
    static thread_local std::string key;
    key = "client-" + std::to_string(i);
    ctx.hash_key = key;
    return ctx;
  }
};

TEST_P(BalancerContractTest, EmptyPoolYieldsNull) {
  std::vector<BackendPtr> pool;
  auto balancer = make(pool);
  EXPECT_EQ(balancer->pick(contextFor(0)), nullptr);
}

TEST_P(BalancerContractTest, SingleBackendIsAlwaysPicked) {
  auto pool = makeEqualPool(1);
  auto balancer = make(pool);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(balancer->pick(contextFor(i)), pool[0].get());
}

TEST_P(BalancerContractTest, OnlyBackendExcludedYieldsNull) {
  auto pool = makeEqualPool(1);
  auto balancer = make(pool);
  EXPECT_EQ(balancer->pick(contextFor(0, pool[0].get())), nullptr);
}

TEST_P(BalancerContractTest, ExcludedBackendIsNeverPicked) {
  auto pool = makeEqualPool(4);
  auto balancer = make(pool);
  for (int i = 0; i < 2000; ++i) {
    const Backend* picked = balancer->pick(contextFor(i, pool[2].get()));
    ASSERT_NE(picked, nullptr);
    EXPECT_NE(picked, pool[2].get());
  }
}

TEST_P(BalancerContractTest, EjectedBackendIsSkipped) {
  auto pool = makeEqualPool(4);
  auto balancer = make(pool);
  eject(*pool[1], kNow);
  for (int i = 0; i < 2000; ++i) {
    const Backend* picked = balancer->pick(contextFor(i));
    ASSERT_NE(picked, nullptr);
    EXPECT_NE(picked, pool[1].get());
  }
}

TEST_P(BalancerContractTest, OnlyHealthyBackendTakesEverything) {
  auto pool = makeEqualPool(5);
  auto balancer = make(pool);
  for (int i : {0, 1, 3, 4})
    eject(*pool[i], kNow);
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(balancer->pick(contextFor(i)), pool[2].get());
}

TEST_P(BalancerContractTest, AllEjectedFailsOpen) {
  auto pool = makeEqualPool(3);
  auto balancer = make(pool);
  for (auto& backend : pool)
    eject(*backend, kNow);
  std::map<const Backend*, int> seen;
  for (int i = 0; i < 3000; ++i) {
    const Backend* picked = balancer->pick(contextFor(i));
    ASSERT_NE(picked, nullptr);
    seen[picked]++;
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST_P(BalancerContractTest, FailOpenStillHonoursExclude) {
  auto pool = makeEqualPool(2);
  auto balancer = make(pool);
  eject(*pool[1], kNow);
  // The healthy one is excluded: the ejected one is the only thing left.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(balancer->pick(contextFor(i, pool[0].get())), pool[1].get());
  }
  eject(*pool[0], kNow);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(balancer->pick(contextFor(i, pool[0].get())), pool[1].get());
  }
}

TEST_P(BalancerContractTest, EjectedBackendReturnsAfterEjectionExpires) {
  auto pool = makeEqualPool(2);
  auto balancer = make(pool);
  eject(*pool[0], kNow);
  int64_t later = kNow + Backend::kEjectForMs;
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    PickContext ctx = contextFor(i);
    ctx.now_ms = later;
    seen = balancer->pick(ctx) == pool[0].get();
  }
  EXPECT_TRUE(seen);
}

TEST_P(BalancerContractTest, EveryBackendGetsTraffic) {
  auto pool = makePool({1, 2, 3, 1});
  auto balancer = make(pool);
  std::map<const Backend*, int> seen;
  for (int i = 0; i < 4000; ++i)
    seen[balancer->pick(contextFor(i))]++;
  EXPECT_EQ(seen.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, BalancerContractTest,
                         ::testing::Values(BalanceKind::kRoundRobin, BalanceKind::kLeastRequest,
                                           BalanceKind::kEwma, BalanceKind::kConsistentHash),
                         [](const ::testing::TestParamInfo<BalanceKind>& info) {
                           switch (info.param) {
                             case BalanceKind::kRoundRobin:
                               return "RoundRobin";
                             case BalanceKind::kLeastRequest:
                               return "LeastRequest";
                             case BalanceKind::kEwma:
                               return "Ewma";
                             case BalanceKind::kConsistentHash:
                               return "ConsistentHash";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace tidegate::upstream
