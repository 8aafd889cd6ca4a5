// What one request's metrics cost a worker: recordRequest() on its own shard (route and backend
// counters, two latency histograms, bytes). Budget: <= 50 ns per request.
//
//   build/h-metrics/bench/metrics_record_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "metrics/request_metrics.h"

namespace tidegate::metrics {
namespace {

struct Gateway {
  explicit Gateway(int routes, int backends) {
    metrics = std::make_unique<RequestMetrics>(*RequestMetrics::declare(registry));
    for (int r = 0; r < routes; ++r) {
      route.push_back(*metrics->route("route" + std::to_string(r), "pool"));
    }
    for (int b = 0; b < backends; ++b) {
      backend.push_back(*metrics->backend("pool", "10.0.0." + std::to_string(b) + ":8080"));
    }
    shard.reserve(registry.layout());
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> latency(std::log(20000.0), 1.0);
    std::uniform_int_distribution<int> status(0, 99);
    for (int i = 0; i < 4096; ++i) {
      latencies.push_back(static_cast<uint64_t>(latency(rng)));
      statuses.push_back(status(rng) < 97 ? 200 : 503);
    }
  }

  SeriesRegistry registry;
  std::unique_ptr<RequestMetrics> metrics;
  std::vector<RouteSeries> route;
  std::vector<BackendSeries> backend;
  MetricShard shard;
  std::vector<uint64_t> latencies;
  std::vector<int> statuses;
};

// Many routes and backends, latencies spread like real traffic: the realistic case.
void BM_RecordRequest(benchmark::State& state) {
  Gateway g(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ & 4095;
    recordRequest(g.shard, g.route[k % g.route.size()], &g.backend[k % g.backend.size()],
                  statusClassOf(g.statuses[k]), g.latencies[k], 512, 4096);
  }
  benchmark::DoNotOptimize(g.shard.counter(g.route[0].requests[1]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequest)->Args({1, 1})->Args({16, 8})->Args({200, 100});

// The pieces: one counter add, one histogram record.
void BM_CounterAdd(benchmark::State& state) {
  Gateway g(1, 1);
  for (auto _ : state)
    g.shard.add(g.route[0].bytes_sent, 100);
  benchmark::DoNotOptimize(g.shard.counter(g.route[0].bytes_sent));
}
BENCHMARK(BM_CounterAdd);

void BM_HistogramRecord(benchmark::State& state) {
  Gateway g(1, 1);
  size_t i = 0;
  for (auto _ : state)
    g.shard.record(g.route[0].duration, g.latencies[i++ & 4095]);
  benchmark::DoNotOptimize(g.shard.histogram(g.route[0].duration).count());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace tidegate::metrics
