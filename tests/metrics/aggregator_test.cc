#include "metrics/aggregator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <thread>

namespace tidegate::metrics {
namespace {

using std::chrono::seconds;

struct Fixture {
  Fixture() {
    FamilySpec requests;
    requests.name = "tidegate_test_requests_total";
    requests.type = MetricType::kCounter;
    requests.label_names = {"route"};
    FamilySpec inflight;
    inflight.name = "tidegate_test_in_flight";
    inflight.type = MetricType::kGauge;
    inflight.label_names = {"route"};
    FamilySpec load = inflight;
    load.name = "tidegate_test_backend_load";
    load.gauge_merge = GaugeMerge::kLatest;
    FamilySpec latency;
    latency.name = "tidegate_test_duration_seconds";
    latency.type = MetricType::kHistogram;
    latency.label_names = {"route"};
    latency.scale = 1e-6;
    latency.buckets = latencyBucketsSeconds();
    counter = CounterId{registry.series(*registry.declare(requests), {"a"})->index};
    gauge = GaugeId{registry.series(*registry.declare(inflight), {"a"})->index};
    latest = GaugeId{registry.series(*registry.declare(load), {"a"})->index};
    histogram = HistogramId{registry.series(*registry.declare(latency), {"a"})->index};
    for (auto& w : workers) {
      w = std::make_shared<MetricShard>();
      w->reserve(registry.layout());
      aggregator.addShard(w);
    }
  }
  void tick() {
    clock.advance(seconds(1));
    aggregator.fold();
  }
  std::optional<double> query(SeriesRef ref, Agg agg, int window) {
    return aggregator.windows().query(ref, agg, seconds(window));
  }

  SeriesRegistry registry;
  ManualClock clock{seconds(5000)};
  Aggregator aggregator{registry, clock};
  std::shared_ptr<MetricShard> workers[2];
  CounterId counter;
  GaugeId gauge, latest;
  HistogramId histogram;
};

TEST(Aggregator, FoldsShardsIntoTotalsAndPerSecondDeltas) {
  Fixture f;
  f.aggregator.fold();  // second 5000: nothing yet
  for (int s = 0; s < 20; ++s) {
    f.workers[0]->add(f.counter, 3);
    f.workers[1]->add(f.counter, 2);
    f.tick();
  }
  EXPECT_EQ(f.aggregator.totals().counters[f.counter.index], 100u);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kRate), 10), 5.0);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kSum), 10), 50.0);
  EXPECT_EQ(f.aggregator.windows().lastSecond(), 5020);
}

TEST(Aggregator, RateOverTenSecondsFollowsAChangeInLoad) {
  Fixture f;
  for (int s = 0; s < 30; ++s) {
    f.workers[s % 2]->add(f.counter, s < 20 ? 10 : 50);
    f.tick();
  }
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kRate), 10), 50.0);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kRate), 20), 30.0);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kMax), 60), 50.0);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kMin), 60), 10.0);
}

TEST(Aggregator, SumGaugesAddUpWorkersAndMaxOverSixtySeconds) {
  Fixture f;
  for (int s = 0; s < 120; ++s) {
    // Worker 0 holds s % 7 requests in flight, worker 1 holds 2; a spike of 40 at s = 70.
    f.workers[0]->set(f.gauge, s == 70 ? 40.0 : static_cast<double>(s % 7));
    f.workers[1]->set(f.gauge, 2.0);
    f.tick();
  }
  EXPECT_DOUBLE_EQ(*f.query(f.gauge, Agg::of(Agg::Kind::kMax), 60), 42.0);
  EXPECT_DOUBLE_EQ(*f.query(f.gauge, Agg::of(Agg::Kind::kMax), 30), 8.0);
  EXPECT_DOUBLE_EQ(*f.query(f.gauge, Agg::of(Agg::Kind::kLast), 30), 119 % 7 + 2.0);
  EXPECT_DOUBLE_EQ(f.aggregator.totals().gauges[f.gauge.index], 119 % 7 + 2.0);
}

TEST(Aggregator, LatestGaugesTakeTheMostRecentWrite) {
  Fixture f;
  f.aggregator.fold();
  EXPECT_TRUE(std::isnan(f.aggregator.totals().gauges[f.latest.index]));  // never written
  EXPECT_FALSE(f.query(f.latest, Agg::of(Agg::Kind::kLast), 10).has_value());
  f.workers[0]->set(f.latest, 0.7);
  f.tick();
  EXPECT_DOUBLE_EQ(f.aggregator.totals().gauges[f.latest.index], 0.7);
  f.workers[1]->set(f.latest, 0.2);  // another worker saw a newer report
  f.tick();
  EXPECT_DOUBLE_EQ(f.aggregator.totals().gauges[f.latest.index], 0.2);
  f.tick();  // nothing new: the value stays
  EXPECT_DOUBLE_EQ(f.aggregator.totals().gauges[f.latest.index], 0.2);
  EXPECT_DOUBLE_EQ(*f.query(f.latest, Agg::of(Agg::Kind::kMax), 10), 0.7);
}

TEST(Aggregator, HistogramsMergeAcrossWorkersAndSeconds) {
  Fixture f;
  for (int s = 0; s < 10; ++s) {
    for (int i = 1; i <= 100; ++i) {
      f.workers[0]->record(f.histogram, static_cast<uint64_t>(i) * 1000);  // 1..100 ms
      f.workers[1]->record(f.histogram, 500);
    }
    f.tick();
  }
  const Histogram& total = f.aggregator.totals().histograms[f.histogram.index];
  EXPECT_EQ(total.count(), 2000u);
  EXPECT_EQ(total.sum(), 10u * (5050u * 1000 + 100 * 500));
  EXPECT_DOUBLE_EQ(*f.query(f.histogram, Agg::of(Agg::Kind::kRate), 10), 200.0);
  EXPECT_NEAR(*f.query(f.histogram, Agg::percentile(0.5), 10), 500.0, 5.0);
  // p99 of {100 x 500us, 1..100 ms}: rank 198 of 200 per second -> 98 ms.
  EXPECT_NEAR(*f.query(f.histogram, Agg::percentile(0.99), 10), 98000.0, 980.0);
  EXPECT_NEAR(*f.query(f.histogram, Agg::of(Agg::Kind::kAvg), 10),
              (5050.0 * 1000 + 100 * 500) / 200, 1e-6);
}

TEST(Aggregator, ALateFoldFilesEverythingUnderItsOwnSecond) {
  Fixture f;
  f.aggregator.fold();
  f.workers[0]->add(f.counter, 30);
  f.clock.advance(seconds(3));
  f.aggregator.fold();
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kLast), 1), 30.0);
  EXPECT_DOUBLE_EQ(*f.query(f.counter, Agg::of(Agg::Kind::kRate), 3), 10.0);
  EXPECT_EQ(f.aggregator.totals().counters[f.counter.index], 30u);
}

TEST(Aggregator, SeriesAddedAfterAReloadAreFolded) {
  Fixture f;
  f.tick();
  FamilySpec extra;
  extra.name = "tidegate_test_extra_total";
  extra.type = MetricType::kCounter;
  auto family = f.registry.declare(extra);
  ASSERT_TRUE(family.ok());
  const CounterId added{f.registry.series(*family, {})->index};
  // Shards grow before the handle is published to the workers.
  for (auto& w : f.workers)
    w->reserve(f.registry.layout());
  f.workers[1]->add(added, 6);
  f.tick();
  EXPECT_EQ(f.aggregator.totals().counters[added.index], 6u);
  EXPECT_DOUBLE_EQ(*f.query(added, Agg::of(Agg::Kind::kRate), 60), 6.0);
}

// Workers record while the control thread folds: every record is counted exactly once.
TEST(Aggregator, ConcurrentFoldsLoseNothing) {
  Fixture f;
  constexpr int kPerWorker = 300000;
  std::thread writers[2];
  for (int w = 0; w < 2; ++w) {
    writers[w] = std::thread([&, w] {
      for (int i = 0; i < kPerWorker; ++i) {
        f.workers[w]->add(f.counter);
        f.workers[w]->record(f.histogram, static_cast<uint64_t>(i % 100000));
      }
    });
  }
  for (int i = 0; i < 50; ++i)
    f.tick();
  for (auto& t : writers)
    t.join();
  f.tick();
  EXPECT_EQ(f.aggregator.totals().counters[f.counter.index], 2u * kPerWorker);
  const Histogram& total = f.aggregator.totals().histograms[f.histogram.index];
  EXPECT_EQ(total.count(), 2u * kPerWorker);
  uint64_t expected_sum = 0;
  for (int i = 0; i < kPerWorker; ++i)
    expected_sum += static_cast<uint64_t>(i % 100000);
  EXPECT_EQ(total.sum(), 2 * expected_sum);
}

}  // namespace
}  // namespace tidegate::metrics
