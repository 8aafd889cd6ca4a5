// Cost of recording a tg.metrics series from a hook: counter:inc(), gauge:set(),
// histogram:observe() on the worker VM's own shard (no lookup, no allocation). Each case runs
// the operation 100 times in one on_request, so items/s is per operation; BM_Record_Baseline is
// the same loop with an empty body (subtract its time per item).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "lua/hooks.h"
#include "lua/metric_catalog.h"
#include "lua/request_context.h"
#include "lua/script.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::lua {
namespace {

class BenchRequest : public RequestContext {
 public:
  std::string_view method() const override { return "GET"; }
  void setMethod(std::string_view) override {}
  std::string_view path() const override { return "/"; }
  void setPath(std::string_view) override {}
  std::string_view query() const override { return ""; }
  void setQuery(std::string_view) override {}
  std::optional<std::string_view> header(std::string_view) const override { return std::nullopt; }
  void setHeader(std::string_view, std::string_view) override {}
  void removeHeader(std::string_view) override {}
  std::string_view clientIp() const override { return "192.0.2.10"; }
  std::string_view routeName() const override { return "api"; }
  bool setUpstream(std::string_view) override { return true; }
  void respond(int, std::string_view, const HeaderRef*, size_t) override {}
};

// Declared on the "control thread" (a build pass), loaded in a worker VM writing its shard.
struct Fixture {
  metrics::SeriesRegistry registry;
  RegistryDeclarer declarer{registry};
  metrics::MetricShard shard;
  std::unique_ptr<LuaVm> vm;
  std::unique_ptr<LoadedScripts> loaded;

  explicit Fixture(const std::string& body) {
    const std::string code = R"(
      local hits = tg.metrics.counter("tidegate_lua_bench_total", "Bench.", {route = "api"})
      local depth = tg.metrics.gauge("tidegate_lua_bench_depth", "Bench.")
      local sizes = tg.metrics.histogram("tidegate_lua_bench_seconds", "Bench.")
      return { on_request = function(req)
        for i = 1, 100 do )" +
                             body + R"( end
      end })";
    VmOptions build_options;
    build_options.declarer = &declarer;
    std::vector<ScriptSet::Entry> entries;
    entries.push_back({"api", ScriptSource::fromString("bench.lua", code)});
    auto set = ScriptSet::build(std::move(entries), "", build_options, 1);
    if (!set) fail(set.error().message());
    shard.reserve(registry.layout());
    VmOptions options;
    options.shard = &shard;
    vm = std::move(LuaVm::create(options).value());
    auto l = LoadedScripts::load(*vm, *set);
    if (!l) fail(l.error().message());
    loaded = std::move(l.value());
  }
  [[noreturn]] static void fail(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::abort();
  }
};

void run(benchmark::State& state, const char* body) {
  Fixture f(body);
  const Script& script = *f.loaded->find("api");
  BenchRequest req;
  for (auto _ : state) {
    HookOutcome out = runOnRequest(script, req);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}

void BM_Record_Baseline(benchmark::State& state) {
  run(state, "local _ = i");
}
BENCHMARK(BM_Record_Baseline);

void BM_Record_CounterInc(benchmark::State& state) {
  run(state, "hits:inc()");
}
BENCHMARK(BM_Record_CounterInc);

void BM_Record_CounterIncBy(benchmark::State& state) {
  run(state, "hits:inc(3)");
}
BENCHMARK(BM_Record_CounterIncBy);

void BM_Record_GaugeSet(benchmark::State& state) {
  run(state, "depth:set(i)");
}
BENCHMARK(BM_Record_GaugeSet);

void BM_Record_HistogramObserve(benchmark::State& state) {
  run(state, "sizes:observe(0.0123)");
}
BENCHMARK(BM_Record_HistogramObserve);

}  // namespace
}  // namespace tidegate::lua
