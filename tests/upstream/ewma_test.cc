// Peak-EWMA balancing: latency steers traffic, in-flight bounds it, new backends are
// probed one request at a time, and old spikes are forgotten.

#include "upstream/lb/ewma.h"

#include <gtest/gtest.h>

#include <cmath>

#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using lb::EwmaBalancer;
using testing::countPicks;
using testing::makeEqualPool;
using testing::makePool;

constexpr int64_t kNow = 500'000;

void sample(const Backend& backend, int64_t latency_us, int64_t now_ms = kNow) {
  backend.onRequestStart();
  backend.onRequestEnd(now_ms, latency_us, false);
}

PickContext at(int64_t now_ms) {
  PickContext ctx;
  ctx.now_ms = now_ms;
  return ctx;
}

TEST(EwmaTest, CostIsLatencyTimesInflightPlusOne) {
  auto pool = makePool({1, 2});
  sample(*pool[0], 4000);
  sample(*pool[1], 4000);
  EXPECT_DOUBLE_EQ(EwmaBalancer::cost(*pool[0], kNow), 4000.0);
  pool[0]->onRequestStart();
  pool[0]->onRequestStart();
  EXPECT_DOUBLE_EQ(EwmaBalancer::cost(*pool[0], kNow), 12000.0);
  // Weight 2 halves the cost.
  EXPECT_DOUBLE_EQ(EwmaBalancer::cost(*pool[1], kNow), 2000.0);
}

TEST(EwmaTest, CostDecaysWithTimeSinceLastSample) {
  auto pool = makeEqualPool(1);
  sample(*pool[0], 10000);
  int64_t later = kNow + int64_t(Backend::kEwmaDecayMs);
  EXPECT_NEAR(EwmaBalancer::cost(*pool[0], later), 10000 * std::exp(-1.0), 1e-6);
}

TEST(EwmaTest, UnprobedBackendIsFreeWhileIdleAndPenalisedWhileProbing) {
  auto pool = makeEqualPool(1);
  EXPECT_EQ(EwmaBalancer::cost(*pool[0], kNow), EwmaBalancer::kUnprobedCostUs);
  pool[0]->onRequestStart();
  EXPECT_GE(EwmaBalancer::cost(*pool[0], kNow), EwmaBalancer::kProbingPenaltyUs);
}

TEST(EwmaTest, AvoidsASlowBackend) {
  auto pool = makeEqualPool(2);
  sample(*pool[0], 50000);
  sample(*pool[1], 1000);
  EwmaBalancer balancer(pool, 1);
  auto counts = countPicks(balancer, 1000, at(kNow));
  EXPECT_EQ(counts[pool[1]->id()], 1000);
}

TEST(EwmaTest, SlowBackendGetsLittleOfAMixedPool) {
  auto pool = makeEqualPool(4);
  sample(*pool[0], 80000);
  for (int i = 1; i < 4; ++i)
    sample(*pool[i], 2000);
  EwmaBalancer balancer(pool, 2);
  auto counts = countPicks(balancer, 10000, at(kNow));
  EXPECT_EQ(counts[pool[0]->id()], 0);
}

TEST(EwmaTest, InflightOutweighsASmallLatencyEdge) {
  // 1 ms with 9 in flight costs 10 ms; 3 ms idle costs 3 ms.
  auto pool = makeEqualPool(2);
  sample(*pool[0], 1000);
  sample(*pool[1], 3000);
  for (int i = 0; i < 9; ++i)
    pool[0]->onRequestStart();
  EwmaBalancer balancer(pool, 3);
  EXPECT_EQ(balancer.pick(at(kNow)), pool[1].get());
}

TEST(EwmaTest, NewBackendIsTriedOnceThenWaitsForItsAnswer) {
  auto pool = makeEqualPool(2);
  sample(*pool[0], 1000);
  EwmaBalancer balancer(pool, 4);
  const Backend* first = balancer.pick(at(kNow));
  EXPECT_EQ(first, pool[1].get());
  first->onRequestStart();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(balancer.pick(at(kNow)), pool[0].get());
  // Its answer gives it a real cost, and a fast one wins it traffic.
  first->onRequestEnd(kNow, 200, false);
  EXPECT_EQ(balancer.pick(at(kNow)), pool[1].get());
}

TEST(EwmaTest, ASlowSpikeIsForgottenWithTime) {
  auto pool = makeEqualPool(2);
  sample(*pool[0], 40000);
  sample(*pool[1], 5000);
  EwmaBalancer balancer(pool, 5);
  EXPECT_EQ(balancer.pick(at(kNow)), pool[1].get());
  // Without new samples, pool[0]'s cost decays below pool[1]'s after a while: pool[1]
  // keeps being used, so give it fresh samples as traffic would.
  int64_t later = kNow + 3 * int64_t(Backend::kEwmaDecayMs);
  sample(*pool[1], 5000, later);
  EXPECT_EQ(balancer.pick(at(later)), pool[0].get());
}

}  // namespace
}  // namespace tidegate::upstream
