// What the control plane's once-a-second fold costs: 8 worker shards x 1,000 series folded into
// totals and the 15-minute windows. Budget: <= 5 ms per fold. Only fold() is timed, in thread
// CPU time (what it takes from the control thread, steady on a busy machine); the recording
// that makes each second's changes is not. The shards are written on the same core just
// before, so they are warmer than a real worker's would be: read the numbers as a floor.
//
//   build/h-metrics/bench/metrics_fold_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <random>
#include <vector>

#include "metrics/aggregator.h"
#include "metrics/request_metrics.h"

namespace tidegate::metrics {
namespace {

constexpr int kWorkers = 8;

std::vector<std::shared_ptr<MetricShard>> addShards(const SeriesRegistry& registry,
                                                    Aggregator& aggregator) {
  std::vector<std::shared_ptr<MetricShard>> shards;
  for (int w = 0; w < kWorkers; ++w) {
    shards.push_back(std::make_shared<MetricShard>());
    shards.back()->reserve(registry.layout());
    aggregator.addShard(shards.back());
  }
  return shards;
}

double threadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename Record>
void timeFolds(benchmark::State& state, Aggregator& aggregator, ManualClock& clock, Record record) {
  for (auto _ : state) {
    record();
    clock.advance(std::chrono::seconds(1));
    const double start = threadCpuSeconds();
    aggregator.fold();
    state.SetIterationTime(threadCpuSeconds() - start);
  }
}

// The gateway's own series: 100 routes and 10 backends of 10 pools, about 1,000 series
// (counters, gauges and ~110 latency histograms), every one changing every second:
// `requests` requests per worker per second.
void BM_FoldGatewaySeries(benchmark::State& state) {
  SeriesRegistry registry;
  auto metrics = *RequestMetrics::declare(registry);
  std::vector<RouteSeries> routes;
  std::vector<BackendSeries> backends;
  // Names built with append, not operator+: GCC 12 -O3 warns (-Wrestrict) on the latter.
  auto name = [](std::string prefix, int i) { return prefix.append(std::to_string(i)); };
  for (int r = 0; r < 100; ++r)
    routes.push_back(*metrics.route(name("r", r), "p"));
  for (int b = 0; b < 10; ++b) {
    backends.push_back(*metrics.backend(name("p", b), name("10.0.0.1:", 9000 + b)));
  }
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  auto shards = addShards(registry, aggregator);
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> latency(std::log(20000.0), 1.0);
  const int requests = static_cast<int>(state.range(0));
  state.counters["series"] = static_cast<double>(
      registry.layout().counters + registry.layout().gauges + registry.layout().histograms);
  timeFolds(state, aggregator, clock, [&] {
    for (auto& shard : shards) {
      for (int i = 0; i < requests; ++i) {
        const RouteSeries& r = routes[static_cast<size_t>(i) % routes.size()];
        const BackendSeries& b = backends[static_cast<size_t>(i) % backends.size()];
        recordRequest(*shard, r, &b, StatusClass::k2xx, static_cast<uint64_t>(latency(rng)), 300,
                      3000);
        shard->add(r.in_flight, i % 2 ? 1.0 : -1.0);
      }
    }
  });
}
BENCHMARK(BM_FoldGatewaySeries)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// 1,000 series of one type per worker, all changing every second.
void BM_FoldCounters(benchmark::State& state) {
  SeriesRegistry registry;
  FamilySpec spec;
  spec.name = "tidegate_bench_total";
  spec.type = MetricType::kCounter;
  spec.label_names = {"i"};
  const FamilyId f = *registry.declare(spec);
  for (int i = 0; i < 1000; ++i)
    (void)registry.series(f, {std::to_string(i)});
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  auto shards = addShards(registry, aggregator);
  timeFolds(state, aggregator, clock, [&] {
    for (auto& shard : shards) {
      for (uint32_t i = 0; i < 1000; ++i)
        shard->add(CounterId{i}, 3);
    }
  });
}
BENCHMARK(BM_FoldCounters)->UseManualTime()->Unit(benchmark::kMillisecond);

// The worst case: 1,000 latency histograms per worker, each recording `per_second` values a
// second spread over two decades.
void BM_FoldHistograms(benchmark::State& state) {
  SeriesRegistry registry;
  FamilySpec spec;
  spec.name = "tidegate_bench_seconds";
  spec.type = MetricType::kHistogram;
  spec.label_names = {"i"};
  spec.scale = 1e-6;
  spec.buckets = latencyBucketsSeconds();
  const FamilyId f = *registry.declare(spec);
  for (int i = 0; i < 1000; ++i)
    (void)registry.series(f, {std::to_string(i)});
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  auto shards = addShards(registry, aggregator);
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> latency(std::log(20000.0), 1.0);
  const int per_second = static_cast<int>(state.range(0));
  timeFolds(state, aggregator, clock, [&] {
    for (auto& shard : shards) {
      for (uint32_t i = 0; i < 1000; ++i) {
        for (int k = 0; k < per_second; ++k) {
          shard->record(HistogramId{i}, static_cast<uint64_t>(latency(rng)));
        }
      }
    }
  });
}
BENCHMARK(BM_FoldHistograms)->Arg(10)->Arg(100)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidegate::metrics
