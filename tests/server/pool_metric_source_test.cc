// The autoscaler's backend:<name>: what the scraper set for each instance, per instance and as
// the pool's average over the instances that have a value.

#include "server/pool_metric_source.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tidegate::server {
namespace {

using metrics::Agg;

TEST(PoolMetricSourceTest, ScrapedValuesPerInstanceAndForThePool) {
  auto created = Telemetry::create();
  ASSERT_TRUE(created.ok());
  Telemetry& t = *created.value();
  auto a = t.scrapes().value("app", "127.0.0.1:9101", "depth");
  auto b = t.scrapes().value("app", "127.0.0.1:9102", "depth");
  ASSERT_TRUE(a.ok() && b.ok());
  t.reserveShards();
  t.controlShard().set(*a, 4);
  t.controlShard().set(*b, 10);
  t.fold();

  std::vector<scale::InstanceInfo> instances(3);
  instances[0] = {"app-0", "127.0.0.1:9101", scale::InstanceState::kReady};
  instances[1] = {"app-1", "127.0.0.1:9102", scale::InstanceState::kReady};
  instances[2] = {"app-2", "127.0.0.1:9103", scale::InstanceState::kReady};  // never scraped
  PoolMetricSource source("app", t, [&] { return instances; });
  const auto window = std::chrono::seconds(10);

  EXPECT_EQ(source.metric("backend:depth", Agg::of(Agg::Kind::kAvg), window), 7.0);
  EXPECT_EQ(source.metric("backend:depth", Agg::of(Agg::Kind::kLast), window), 7.0);
  auto per = source.perInstance("backend:depth", Agg::of(Agg::Kind::kLast), window);
  ASSERT_EQ(per.size(), 3u);
  EXPECT_EQ(per[0].id, "app-0");
  EXPECT_EQ(per[0].value, 4.0);
  EXPECT_EQ(per[1].value, 10.0);
  EXPECT_FALSE(per[2].value.has_value());
  EXPECT_FALSE(source.metric("backend:other", Agg::of(Agg::Kind::kAvg), window).has_value());
  EXPECT_FALSE(source.metric("backend:", Agg::of(Agg::Kind::kAvg), window).has_value());

  // Withdrawn (stale) values are no data.
  t.controlShard().set(*a, std::nan(""));
  t.controlShard().set(*b, std::nan(""));
  t.fold();
  EXPECT_FALSE(source.metric("backend:depth", Agg::of(Agg::Kind::kLast), std::chrono::seconds(1))
                   .has_value());
}

}  // namespace
}  // namespace tidegate::server
