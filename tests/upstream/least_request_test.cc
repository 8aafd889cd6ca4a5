// Power of two choices over in-flight requests, with weights.

#include "upstream/lb/least_request.h"

#include <gtest/gtest.h>

#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using lb::LeastRequestBalancer;
using testing::countPicks;
using testing::makeEqualPool;
using testing::makePool;

void load(const Backend& backend, int requests) {
  for (int i = 0; i < requests; ++i)
    backend.onRequestStart();
}

TEST(LeastRequestTest, OfTwoAlwaysPicksTheLessLoaded) {
  auto pool = makeEqualPool(2);
  load(*pool[0], 3);
  load(*pool[1], 1);
  LeastRequestBalancer balancer(pool, 1);
  auto counts = countPicks(balancer, 1000);
  EXPECT_EQ(counts[pool[1]->id()], 1000);
}

TEST(LeastRequestTest, PrefersLowInflight) {
  // One idle backend among three busy ones wins every pair it is drawn into: with two
  // distinct draws out of four that is half the picks, against 1/4 for plain random.
  auto pool = makeEqualPool(4);
  for (int i = 1; i < 4; ++i)
    load(*pool[i], 10);
  LeastRequestBalancer balancer(pool, 2);
  auto counts = countPicks(balancer, 20000);
  EXPECT_NEAR(counts[pool[0]->id()], 10000, 500);
}

TEST(LeastRequestTest, NeverPicksTheMostLoadedOfMany) {
  auto pool = makeEqualPool(5);
  for (int i = 0; i < 5; ++i)
    load(*pool[i], i);
  LeastRequestBalancer balancer(pool, 3);
  auto counts = countPicks(balancer, 5000);
  EXPECT_EQ(counts[pool[4]->id()], 0);
  EXPECT_GT(counts[pool[0]->id()], counts[pool[1]->id()]);
  EXPECT_GT(counts[pool[1]->id()], counts[pool[2]->id()]);
}

TEST(LeastRequestTest, IdlePoolSplitsByWeight) {
  auto pool = makePool({1, 3});
  LeastRequestBalancer balancer(pool, 4);
  auto counts = countPicks(balancer, 40000);
  EXPECT_NEAR(counts[pool[1]->id()], 30000, 600);
}

TEST(LeastRequestTest, ComparesInflightPerUnitOfWeight) {
  // 4 in flight on weight 2 is less load than 3 on weight 1.
  auto pool = makePool({1, 2});
  load(*pool[0], 3);
  load(*pool[1], 4);
  LeastRequestBalancer balancer(pool, 5);
  auto counts = countPicks(balancer, 500);
  EXPECT_EQ(counts[pool[1]->id()], 500);
}

TEST(LeastRequestTest, LoadFollowsWeightsUnderSteadyLoad) {
  // Keep 30 requests in flight: each pick starts one, and the oldest finishes. The heavy
  // backend should settle near three times the light one's in-flight share.
  auto pool = makePool({1, 3});
  LeastRequestBalancer balancer(pool, 6);
  std::vector<const Backend*> inflight;
  std::map<const Backend*, long> held;
  for (int i = 0; i < 20000; ++i) {
    const Backend* picked = balancer.pick({});
    picked->onRequestStart();
    inflight.push_back(picked);
    if (inflight.size() > 30) {
      inflight.front()->onRequestEnd(0, 100, false);
      inflight.erase(inflight.begin());
    }
    for (auto& backend : pool)
      held[backend.get()] += backend->stats().inflight.load();
  }
  double ratio = double(held[pool[1].get()]) / double(held[pool[0].get()]);
  EXPECT_NEAR(ratio, 3.0, 0.4);
}

TEST(LeastRequestTest, DominantWeightStillLetsTheOtherBeDrawn) {
  // The second draw comes from the pool without the first, so a 1000:1 pool cannot spin.
  auto pool = makePool({1000, 1});
  load(*pool[0], 5);
  LeastRequestBalancer balancer(pool, 7);
  auto counts = countPicks(balancer, 100);
  EXPECT_EQ(counts[pool[1]->id()], 100);
}

}  // namespace
}  // namespace tidegate::upstream
