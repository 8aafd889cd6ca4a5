// Smooth weighted round robin: exact counts per cycle, interleaving, per-worker phase.

#include "upstream/lb/round_robin.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using lb::RoundRobinBalancer;
using testing::countPicks;
using testing::makeEqualPool;
using testing::makePool;

std::string sequence(Balancer& balancer, const std::vector<BackendPtr>& pool, int picks) {
  std::string out;
  for (int i = 0; i < picks; ++i) {
    const Backend* picked = balancer.pick({});
    for (size_t j = 0; j < pool.size(); ++j) {
      if (pool[j].get() == picked) out.push_back(char('a' + j));
    }
  }
  return out;
}

TEST(RoundRobinTest, MatchesNginxSequence) {
  auto pool = makePool({5, 1, 1});
  RoundRobinBalancer balancer(pool, /*seed=*/0);
  EXPECT_EQ(sequence(balancer, pool, 14), "aabacaaaabacaa");
}

TEST(RoundRobinTest, EqualWeightsRotate) {
  auto pool = makeEqualPool(3);
  RoundRobinBalancer balancer(pool, 0);
  EXPECT_EQ(sequence(balancer, pool, 9), "abcabcabc");
}

TEST(RoundRobinTest, WeightsAreExactOverEveryCycle) {
  auto pool = makePool({7, 3, 1, 5});
  for (uint64_t seed : {0u, 1u, 5u, 15u, 1234567u}) {
    RoundRobinBalancer balancer(pool, seed);
    for (int cycle = 0; cycle < 5; ++cycle) {
      auto counts = countPicks(balancer, 16);
      EXPECT_EQ(counts[pool[0]->id()], 7) << "seed " << seed;
      EXPECT_EQ(counts[pool[1]->id()], 3) << "seed " << seed;
      EXPECT_EQ(counts[pool[2]->id()], 1) << "seed " << seed;
      EXPECT_EQ(counts[pool[3]->id()], 5) << "seed " << seed;
    }
  }
}

TEST(RoundRobinTest, PicksAreSmooth) {
  // Every prefix of the sequence stays within one pick of each backend's fair share, so
  // there are no bursts: weights {5, 3, 2} never give a run longer than two.
  auto pool = makePool({5, 3, 2});
  RoundRobinBalancer balancer(pool, 3);
  std::string seq = sequence(balancer, pool, 100);
  std::vector<int> counts(pool.size(), 0);
  for (size_t k = 0; k < seq.size(); ++k) {
    counts[seq[k] - 'a']++;
    for (size_t j = 0; j < pool.size(); ++j) {
      double fair = double(k + 1) * pool[j]->weight() / 10.0;
      EXPECT_LT(std::abs(counts[j] - fair), 1.0 + 1e-9) << "after " << k + 1 << " picks";
    }
  }
  size_t longest = 0;
  for (size_t k = 0, run = 0; k < seq.size(); ++k) {
    run = (k > 0 && seq[k] == seq[k - 1]) ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  EXPECT_LE(longest, 2u) << seq;
}

TEST(RoundRobinTest, SeedsShiftThePhase) {
  auto pool = makeEqualPool(4);
  std::string firsts;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    RoundRobinBalancer balancer(pool, seed);
    firsts += sequence(balancer, pool, 1);
  }
  EXPECT_EQ(firsts, "abcd");
}

TEST(RoundRobinTest, SeedsShiftThePhaseWithUnequalWeights) {
  auto pool = makePool({5, 1, 1});
  RoundRobinBalancer a(pool, 0);
  RoundRobinBalancer b(pool, 2);
  EXPECT_NE(sequence(a, pool, 7), sequence(b, pool, 7));
}

TEST(RoundRobinTest, SkippedBackendsShareOutItsTurns) {
  auto pool = makePool({1, 1, 2});
  RoundRobinBalancer balancer(pool, 0);
  PickContext ctx;
  ctx.exclude = pool[2].get();
  auto counts = countPicks(balancer, 100, ctx);
  EXPECT_EQ(counts[pool[0]->id()], 50);
  EXPECT_EQ(counts[pool[1]->id()], 50);
}

}  // namespace
}  // namespace tidegate::upstream
