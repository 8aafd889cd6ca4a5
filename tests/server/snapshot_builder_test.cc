#include "server/snapshot_builder.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace tidegate::server {
namespace {

std::shared_ptr<const config::Config> load(std::string_view yaml) {
  auto r = config::loadConfigString(yaml, "test.yaml");
  for (const auto& e : r.errors)
    ADD_FAILURE() << e.toString();
  return std::make_shared<const config::Config>(std::move(*r.config));
}

constexpr std::string_view kTwoPools = R"(
listen: ["127.0.0.1:18999"]
upstreams:
  a: { backends: ["127.0.0.1:9001", "127.0.0.1:9002"], balance: least_request }
  b: { backends: ["127.0.0.1:9003"] }
routes:
  - { match: { path_prefix: /b/ }, upstream: b }
  - { match: { path_prefix: / }, upstream: a }
)";

TEST(SnapshotBuilderTest, MapsRoutesToPools) {
  BackendRegistry registry;
  auto snap = buildSnapshot(load(kTwoPools), registry, 1, 16384);
  ASSERT_TRUE(snap.ok());
  const auto& s = *snap.value();
  ASSERT_EQ(s.pools.size(), 2u);
  EXPECT_EQ(s.pools[0].backends.size(), 2u);
  EXPECT_EQ(s.pools[0].balance, upstream::BalanceKind::kLeastRequest);
  EXPECT_EQ(s.pools[s.route_pool[0]].name, "b");
  EXPECT_EQ(s.pools[s.route_pool[1]].name, "a");
}

TEST(SnapshotBuilderTest, BackendsKeepTheirStatsAcrossReloads) {
  BackendRegistry registry;
  auto first = buildSnapshot(load(kTwoPools), registry, 1, 16384);
  ASSERT_TRUE(first.ok());
  const upstream::Backend* kept = first.value()->pools[0].backends[1].get();
  kept->onRequestStart();

  // The reload drops 9001 and keeps 9002: the same object, in-flight count and all.
  auto second = buildSnapshot(load(R"(
listen: ["127.0.0.1:18999"]
upstreams:
  a: { backends: ["127.0.0.1:9002", "127.0.0.1:9009"] }
routes:
  - { match: { path_prefix: / }, upstream: a }
)"),
                              registry, 2, 16384);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value()->pools[0].backends[0].get(), kept);
  EXPECT_EQ(kept->stats().inflight.load(), 1);
  EXPECT_NE(second.value()->pools[0].backends[1].get(), first.value()->pools[0].backends[0].get());
}

TEST(SnapshotBuilderTest, ScrapedBlocksFollowTheScrapedNames) {
  auto config = [](std::string_view metrics) {
    return load(std::string(R"(
listen: ["127.0.0.1:18999"]
upstreams:
  a:
    backends: ["127.0.0.1:9001", "127.0.0.1:9002"]
    scrape: { metrics: )") +
                std::string(metrics) + R"( }
  b: { backends: ["127.0.0.1:9003"] }
routes:
  - { match: { path_prefix: / }, upstream: a }
)");
  };
  BackendRegistry registry;
  auto first = buildSnapshot(config("{ depth: q, cpu: c }"), registry, 1, 16384);
  ASSERT_TRUE(first.ok());
  const proxy::Pool& a1 = first.value()->pools[0];
  ASSERT_EQ(a1.scraped.size(), 2u);
  EXPECT_EQ(a1.scraped[0]->names(), (std::vector<std::string>{"depth", "cpu"}));
  EXPECT_NE(a1.scraped[0], a1.scraped[1]);
  EXPECT_TRUE(first.value()->pools[1].scraped.empty());  // b scrapes nothing

  // Same names (another selector): the same blocks and the same Lua set.
  auto second = buildSnapshot(config("{ depth: other_q, cpu: c }"), registry, 2, 16384);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value()->pools[0].scraped[0], a1.scraped[0]);
  EXPECT_EQ(second.value()->pools[0].lua_backends, a1.lua_backends);

  // Other names: new blocks and a new set, over the same backends (stats kept).
  auto third = buildSnapshot(config("{ cpu: c, depth: q }"), registry, 3, 16384);
  ASSERT_TRUE(third.ok());
  const proxy::Pool& a3 = third.value()->pools[0];
  EXPECT_NE(a3.scraped[0], a1.scraped[0]);
  EXPECT_EQ(a3.scraped[0]->names(), (std::vector<std::string>{"cpu", "depth"}));
  EXPECT_NE(a3.lua_backends, a1.lua_backends);
  EXPECT_EQ(a3.backends[0], a1.backends[0]);
}

TEST(SnapshotBuilderTest, ClampsHeadLimitToBuffer) {
  BackendRegistry registry;
  auto snap = buildSnapshot(load(R"(
listen: ["127.0.0.1:18999"]
limits: { max_head_bytes: 64k }
upstreams:
  a: { backends: ["127.0.0.1:9001"] }
routes:
  - { match: { path_prefix: / }, upstream: a }
)"),
                            registry, 1, 16384);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value()->parser_limits.max_head_bytes, 16384u);
}

}  // namespace
}  // namespace tidegate::server
