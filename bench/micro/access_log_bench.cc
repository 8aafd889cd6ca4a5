// What one access-log line costs a worker: AccessLog::Writer::append() formatting a typical
// record into its ring while the writer thread drains to /dev/null (the disk is not measured).
//
//   build/h-obs/bench/access_log_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "metrics/access_log.h"

namespace tidegate::metrics {
namespace {

AccessRecord typical() {
  AccessRecord r;
  r.unix_ms = 1795823999123;
  r.route = "api";
  r.upstream = "app";
  r.backend = "127.0.0.1:9001";
  r.method = "GET";
  r.path = "/v1/users/12345/orders";
  r.query = "page=2&limit=50";
  r.client_ip = "203.0.113.77";
  r.request_id = "6f1c2a9e8b7d4c3a";
  r.status = 200;
  r.bytes_in = 412;
  r.bytes_out = 5123;
  r.duration_ms = 1.834;
  r.upstream_connect_ms = 0.071;
  r.upstream_header_ms = 1.502;
  r.upstream_total_ms = 1.799;
  return r;
}

// Ring size in KiB as the argument: large enough that the writer thread keeps up.
void BM_Append(benchmark::State& state) {
  auto log = AccessLog::open("/dev/null", 1, static_cast<size_t>(state.range(0)) * 1024);
  if (!log.ok()) {
    state.SkipWithError(log.error().message().c_str());
    return;
  }
  AccessLog::Writer& writer = (*log)->writer(0);
  AccessRecord r = typical();
  for (auto _ : state) {
    ++r.unix_ms;
    benchmark::DoNotOptimize(writer.append(r));
  }
  state.counters["dropped"] = static_cast<double>((*log)->dropped());
}
BENCHMARK(BM_Append)->Arg(256)->Arg(4096);

// A path full of bytes that need escaping (control bytes, quotes, invalid UTF-8): the slow path.
void BM_AppendEscaped(benchmark::State& state) {
  auto log = AccessLog::open("/dev/null", 1, 4096 * 1024);
  if (!log.ok()) {
    state.SkipWithError(log.error().message().c_str());
    return;
  }
  AccessLog::Writer& writer = (*log)->writer(0);
  std::string path = "/search/\"q\"\\\t\x01\xff\xc3\xa9";
  path += path;
  AccessRecord r = typical();
  r.path = path;
  for (auto _ : state)
    benchmark::DoNotOptimize(writer.append(r));
  state.counters["dropped"] = static_cast<double>((*log)->dropped());
}
BENCHMARK(BM_AppendEscaped);

// The ring full and the writer stalled: what a dropped record costs.
void BM_AppendWhenFull(benchmark::State& state) {
  std::atomic<bool> stalled{true};
  AccessLogOptions options;
  options.before_write = [&stalled] {
    while (stalled.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  auto log = AccessLog::open("/dev/null", 1, 4096, options);
  if (!log.ok()) {
    state.SkipWithError(log.error().message().c_str());
    return;
  }
  AccessLog::Writer& writer = (*log)->writer(0);
  const AccessRecord r = typical();
  while (writer.append(r)) {
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(writer.append(r));
  stalled = false;
}
BENCHMARK(BM_AppendWhenFull);

}  // namespace
}  // namespace tidegate::metrics
