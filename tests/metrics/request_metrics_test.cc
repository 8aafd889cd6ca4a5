#include "metrics/request_metrics.h"

#include <gtest/gtest.h>

#include <memory>

#include "metrics/aggregator.h"

namespace tidegate::metrics {
namespace {

TEST(StatusClass, FromStatusCodes) {
  EXPECT_EQ(statusClassOf(100), StatusClass::k1xx);
  EXPECT_EQ(statusClassOf(204), StatusClass::k2xx);
  EXPECT_EQ(statusClassOf(304), StatusClass::k3xx);
  EXPECT_EQ(statusClassOf(429), StatusClass::k4xx);
  EXPECT_EQ(statusClassOf(599), StatusClass::k5xx);
  EXPECT_EQ(statusClassOf(42), StatusClass::k5xx);
  EXPECT_EQ(statusClassOf(600), StatusClass::k5xx);
  EXPECT_EQ(statusClassLabel(StatusClass::k4xx), "4xx");
}

TEST(RequestMetrics, HandlesAreStableAcrossReloads) {
  SeriesRegistry registry;
  auto m = RequestMetrics::declare(registry);
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto r1 = m->route("api", "pool");
  auto b1 = m->backend("pool", "127.0.0.1:9001");
  ASSERT_TRUE(r1.ok() && b1.ok());
  // A reload declares again and asks for the same names: same handles, same totals.
  auto again = RequestMetrics::declare(registry);
  ASSERT_TRUE(again.ok()) << again.error().message();
  auto r2 = again->route("api", "pool");
  auto b2 = again->backend("pool", "127.0.0.1:9001");
  ASSERT_TRUE(r2.ok() && b2.ok());
  EXPECT_EQ(r1->requests, r2->requests);
  EXPECT_EQ(r1->duration, r2->duration);
  EXPECT_EQ(b1->timeouts, b2->timeouts);
  EXPECT_EQ(m->unmatched().duration, again->unmatched().duration);
  auto other = m->route("web", "pool");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->duration, r1->duration);
}

TEST(RequestMetrics, RecordRequestUpdatesRouteAndBackendSeries) {
  SeriesRegistry registry;
  auto m = RequestMetrics::declare(registry);
  ASSERT_TRUE(m.ok());
  auto route = m->route("api", "pool");
  auto backend = m->backend("pool", "127.0.0.1:9001");
  auto pool = m->pool("pool");
  ASSERT_TRUE(route.ok() && backend.ok() && pool.ok());
  auto worker = std::make_shared<MetricShard>();
  auto control = std::make_shared<MetricShard>();
  worker->reserve(registry.layout());
  control->reserve(registry.layout());
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  aggregator.addShard(worker);
  aggregator.addShard(control);

  connectionOpened(*worker, *m);
  routeInFlight(*worker, *route, +1);
  backendInFlight(*worker, *backend, +1);
  recordRequest(*worker, *route, &*backend, statusClassOf(200), 1500, 300, 4000);
  recordRequest(*worker, *route, &*backend, statusClassOf(503), 250000, 100, 50);
  recordRequest(*worker, m->unmatched(), nullptr, statusClassOf(404), 20, 80, 120);
  upstreamConnectFailure(*worker, *backend);
  upstreamTimeout(*worker, *backend);
  upstreamTimeout(*worker, *backend);
  control->set(pool->replicas, 3);
  aggregator.fold();

  const FoldedTotals& t = aggregator.totals();
  EXPECT_EQ(t.counters[route->requests[1].index], 1u);
  EXPECT_EQ(t.counters[route->requests[4].index], 1u);
  EXPECT_EQ(t.counters[route->requests[3].index], 0u);
  EXPECT_EQ(t.counters[route->bytes_received.index], 400u);
  EXPECT_EQ(t.counters[route->bytes_sent.index], 4050u);
  EXPECT_EQ(t.histograms[route->duration.index].count(), 2u);
  EXPECT_EQ(t.histograms[route->duration.index].sum(), 251500u);
  EXPECT_EQ(t.counters[backend->requests[1].index], 1u);
  EXPECT_EQ(t.counters[backend->bytes_sent.index], 400u);
  EXPECT_EQ(t.counters[backend->bytes_received.index], 4050u);
  EXPECT_EQ(t.counters[backend->connect_failures.index], 1u);
  EXPECT_EQ(t.counters[backend->timeouts.index], 2u);
  EXPECT_EQ(t.histograms[backend->duration.index].count(), 2u);
  EXPECT_EQ(t.counters[m->unmatched().requests[3].index], 1u);
  EXPECT_EQ(t.histograms[m->unmatched().duration.index].count(), 1u);
  EXPECT_EQ(t.gauges[route->in_flight.index], 1.0);
  EXPECT_EQ(t.gauges[backend->in_flight.index], 1.0);
  EXPECT_EQ(t.gauges[m->connectionsActive().index], 1.0);
  EXPECT_EQ(t.counters[m->connectionsTotal().index], 1u);
  EXPECT_EQ(t.gauges[pool->replicas.index], 3.0);

  routeInFlight(*worker, *route, -1);
  backendInFlight(*worker, *backend, -1);
  connectionClosed(*worker, *m);
  clock.advance(std::chrono::seconds(1));
  aggregator.fold();
  EXPECT_EQ(aggregator.totals().gauges[route->in_flight.index], 0.0);
  EXPECT_EQ(aggregator.totals().gauges[m->connectionsActive().index], 0.0);
  // The error rate a policy would ask for: 5xx over all, over the last minute.
  const SeriesRef all[] = {route->requests[0], route->requests[1], route->requests[2],
                           route->requests[3], route->requests[4]};
  const double errors = *aggregator.windows().query(route->requests[4], Agg::of(Agg::Kind::kSum),
                                                    std::chrono::seconds(60));
  const double total =
      *aggregator.windows().query(all, Agg::of(Agg::Kind::kSum), std::chrono::seconds(60));
  EXPECT_DOUBLE_EQ(errors / total, 0.5);
}

}  // namespace
}  // namespace tidegate::metrics
