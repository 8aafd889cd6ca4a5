// tg.metrics: declarations in ScriptSet::build's pass register in the SeriesRegistry and fill
// the set's catalog; worker VMs resolve the same handles from the catalog and record into their
// own shard; the control VM declares directly and queries windows.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fake_contexts.h"
#include "lua/control_vm.h"
#include "lua/hooks.h"
#include "lua/metric_catalog.h"
#include "lua/script.h"
#include "metrics/aggregator.h"
#include "metrics/clock.h"
#include "metrics/request_metrics.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::lua {
namespace {

using metrics::CounterId;
using metrics::GaugeId;
using metrics::HistogramId;
using metrics::MetricType;
using metrics::SeriesRef;

constexpr const char* kScript = R"(
local hits = tg.metrics.counter("tidegate_lua_cache_hits_total", "Cache hits.", {route = "api"})
local misses = tg.metrics.counter("tidegate_lua_cache_hits_total", "Cache hits.", {route = "web"})
local queue = tg.metrics.gauge("tidegate_lua_queue_depth", "Queued items.")
local sizes = tg.metrics.histogram("tidegate_lua_item_size_bytes", "Item sizes.",
                                   {kind = "img", route = "api"}, {64, 1024, 65536})
local waits = tg.metrics.histogram("tidegate_lua_wait_seconds", "Waits.")
return {
  on_request = function(req)
    hits:inc()
    hits:inc(4)
    misses:inc(0)
    queue:set(7)
    queue:add(-2.5)
    sizes:observe(1000)
    waits:observe(0.25)
  end,
}
)";

class MetricsApiTest : public ::testing::Test {
 protected:
  MetricsApiTest() : declarer_(registry_) {}

  Result<std::shared_ptr<const ScriptSet>> build(const std::string& code, MetricsDeclarer* declarer,
                                                 double now = 1) {
    VmOptions options;
    options.declarer = declarer;
    options.now = [now] { return now; };
    std::vector<ScriptSet::Entry> entries;
    entries.push_back({"api", ScriptSource::fromString("route api", code)});
    return ScriptSet::build(std::move(entries), "", options, 1);
  }

  // A worker VM writing `shard` (null: none), reserved as the server would.
  std::unique_ptr<LuaVm> worker(metrics::MetricShard* shard, double now = 1) {
    if (shard != nullptr) shard->reserve(registry_.layout());
    VmOptions options;
    options.shard = shard;
    options.now = [now] { return now; };
    return testing::makeVm(std::move(options));
  }

  SeriesRef series(const char* name, std::initializer_list<std::string_view> values) {
    const auto family = registry_.findFamily(name);
    EXPECT_TRUE(family.has_value()) << name;
    if (!family) return {};
    const auto ref = registry_.findSeries(
        *family, std::span<const std::string_view>(values.begin(), values.size()));
    EXPECT_TRUE(ref.has_value()) << name;
    return ref.value_or(SeriesRef{});
  }

  metrics::SeriesRegistry registry_;
  RegistryDeclarer declarer_;
};

TEST_F(MetricsApiTest, TheBuildPassDeclaresFamiliesAndSeries) {
  auto set = build(kScript, &declarer_);
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(registry_.familyCount(), 4u);
  EXPECT_EQ((*set)->catalog().size(), 5u);

  const auto hits = registry_.findFamily("tidegate_lua_cache_hits_total");
  ASSERT_TRUE(hits);
  const metrics::FamilySpec& spec = registry_.family(*hits).spec;
  EXPECT_EQ(spec.type, MetricType::kCounter);
  EXPECT_EQ(spec.help, "Cache hits.");
  EXPECT_EQ(spec.label_names, std::vector<std::string>{"route"});
  EXPECT_EQ(registry_.family(*hits).series.size(), 2u);

  const auto sizes = registry_.findFamily("tidegate_lua_item_size_bytes");
  ASSERT_TRUE(sizes);
  const metrics::FamilySpec& hist = registry_.family(*sizes).spec;
  EXPECT_EQ(hist.label_names, (std::vector<std::string>{"kind", "route"}));  // sorted
  EXPECT_EQ(hist.buckets, (std::vector<double>{64, 1024, 65536}));
  EXPECT_DOUBLE_EQ(hist.scale, 0.01);
  EXPECT_EQ(registry_.family(*registry_.findFamily("tidegate_lua_wait_seconds")).spec.buckets,
            metrics::latencyBucketsSeconds());

  // A second generation of the same scripts keeps the same families and series.
  const auto layout = registry_.layout();
  auto again = build(kScript, &declarer_);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(registry_.layout(), layout);
  EXPECT_EQ(registry_.familyCount(), 4u);
}

TEST_F(MetricsApiTest, WorkerVmsResolveTheCatalogAndRecordIntoTheirShard) {
  auto set = build(kScript, &declarer_);
  ASSERT_TRUE(set.ok()) << set.error().message();
  const auto layout = registry_.layout();

  metrics::MetricShard shards[2];
  std::unique_ptr<LuaVm> vms[2] = {worker(&shards[0]), worker(&shards[1])};
  std::unique_ptr<LoadedScripts> loaded[2];
  for (int i = 0; i < 2; ++i) {
    auto l = LoadedScripts::load(*vms[i], *set);
    ASSERT_TRUE(l.ok()) << l.error().message();
    loaded[i] = std::move(l.value());
  }
  EXPECT_EQ(registry_.layout(), layout);  // workers never declare

  testing::FakeRequest req;
  for (int n = 0; n < 3; ++n) {
    EXPECT_EQ(runOnRequest(*loaded[0]->find("api"), req).action, HookAction::kContinue);
  }
  EXPECT_EQ(runOnRequest(*loaded[1]->find("api"), req).action, HookAction::kContinue);

  const CounterId api{series("tidegate_lua_cache_hits_total", {"api"}).index};
  const CounterId web{series("tidegate_lua_cache_hits_total", {"web"}).index};
  EXPECT_EQ(shards[0].counter(api), 15u);
  EXPECT_EQ(shards[1].counter(api), 5u);
  EXPECT_EQ(shards[0].counter(web), 0u);
  const GaugeId queue{series("tidegate_lua_queue_depth", {}).index};
  EXPECT_DOUBLE_EQ(shards[0].gauge(queue).value, 4.5);
  const HistogramId sizes{series("tidegate_lua_item_size_bytes", {"img", "api"}).index};
  EXPECT_EQ(shards[0].histogram(sizes).count(), 3u);
  EXPECT_EQ(shards[0].histogram(sizes).sum(), 3u * 100'000u);  // 1000 bytes in units of 0.01
  const HistogramId waits{series("tidegate_lua_wait_seconds", {}).index};
  EXPECT_EQ(shards[1].histogram(waits).count(), 1u);
  EXPECT_EQ(shards[1].histogram(waits).sum(), 2'500'000u);  // 0.25 s in units of 1e-7 s
}

TEST_F(MetricsApiTest, RecordingWithoutAShardDoesNothing) {
  auto set = build(kScript, &declarer_);
  ASSERT_TRUE(set.ok()) << set.error().message();
  metrics::MetricShard untouched;
  untouched.reserve(registry_.layout());
  auto vm = worker(nullptr);
  auto loaded = LoadedScripts::load(*vm, *set);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  testing::FakeRequest req;
  EXPECT_EQ(runOnRequest(*(*loaded)->find("api"), req).action, HookAction::kContinue);
  EXPECT_EQ(untouched.counter(CounterId{series("tidegate_lua_cache_hits_total", {"api"}).index}),
            0u);
}

TEST_F(MetricsApiTest, BadDeclarationsAreScriptErrorsWithTheLine) {
  auto no_total = build(
      "local x = 1\nlocal c = tg.metrics.counter('tidegate_lua_hits', 'h')\n"
      "return {}",
      &declarer_);
  ASSERT_FALSE(no_total.ok());
  EXPECT_EQ(no_total.error().message(),
            "route api:2: tg.metrics.counter: counter 'tidegate_lua_hits' must end in _total");

  auto bad_name = build("return tg.metrics.gauge('lua-depth', 'h') and {}", &declarer_);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message().find("route api:1: tg.metrics.gauge: metric name "
                                            "'lua-depth' is not"),
            std::string::npos)
      << bad_name.error().message();

  auto bad_label = build("tg.metrics.counter('a_total', 'h', {route = 3})\nreturn {}", &declarer_);
  ASSERT_FALSE(bad_label.ok());
  EXPECT_EQ(bad_label.error().message(),
            "route api:1: tg.metrics.counter: the value of label 'route' must be a string (got a "
            "number)");

  auto buckets =
      build("tg.metrics.histogram('h_seconds', 'h', nil, {1, 0.5})\nreturn {}", &declarer_);
  ASSERT_FALSE(buckets.ok());
  EXPECT_NE(buckets.error().message().find("strictly ascending"), std::string::npos);

  auto clash = build(
      "tg.metrics.counter('b_total', 'one')\ntg.metrics.counter('b_total', 'two')"
      "\nreturn {}",
      &declarer_);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.error().message().find("route api:2: tg.metrics.counter: metric 'b_total' is "
                                         "already declared"),
            std::string::npos)
      << clash.error().message();

  auto merge = build("tg.metrics.gauge('g', 'h', nil, {merge = 'max'})\nreturn {}", &declarer_);
  ASSERT_FALSE(merge.ok());
  EXPECT_EQ(merge.error().message(),
            "route api:1: tg.metrics.gauge: merge must be \"sum\" or \"latest\"");
}

TEST_F(MetricsApiTest, TheGatewaysOwnFamiliesAreNotScriptable) {
  auto builtins = metrics::RequestMetrics::declare(registry_);
  ASSERT_TRUE(builtins.ok());
  auto set = build(
      "tg.metrics.counter('tidegate_http_requests_total', 'Requests answered, by route and "
      "status class.', {route = 'api', upstream = 'api', code_class = '2xx'})\nreturn {}",
      &declarer_);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().message(),
            "route api:1: tg.metrics.counter: metric 'tidegate_http_requests_total' is one of "
            "the gateway's own: choose another name");
}

TEST_F(MetricsApiTest, DeclarationsAreOnlyForTheTopLevel) {
  auto set = build(R"(
    return { on_request = function(req)
      tg.metrics.counter('tidegate_lua_late_total', 'Late.')
    end }
  )",
                   &declarer_);
  ASSERT_TRUE(set.ok()) << set.error().message();
  metrics::MetricShard shard;
  auto vm = worker(&shard);
  auto loaded = LoadedScripts::load(*vm, *set);
  ASSERT_TRUE(loaded.ok());
  testing::FakeRequest req;
  const HookOutcome outcome = runOnRequest(*(*loaded)->find("api"), req);
  EXPECT_EQ(outcome.action, HookAction::kFail);
  EXPECT_EQ(outcome.error, "route api:3: tg.metrics.counter is not available in on_request");
  EXPECT_FALSE(registry_.findFamily("tidegate_lua_late_total"));
}

TEST_F(MetricsApiTest, ASeriesMissingFromTheCatalogIsAnErrorInTheWorker) {
  // tg.now() differs between the build pass (1) and the worker (2).
  const char* code = R"(
    if tg.now() > 1.5 then
      tg.metrics.counter('tidegate_lua_late_total', 'Late.')
    end
    return {}
  )";
  auto set = build(code, &declarer_, 1);
  ASSERT_TRUE(set.ok()) << set.error().message();
  metrics::MetricShard shard;
  auto vm = worker(&shard, 2);
  auto loaded = LoadedScripts::load(*vm, *set);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message(),
            "route api:3: tg.metrics.counter: 'tidegate_lua_late_total' with these labels was "
            "not declared when the scripts were checked (declare metrics unconditionally at the "
            "top level)");
  EXPECT_FALSE(registry_.findFamily("tidegate_lua_late_total"));

  // The same name as another type is refused too.
  auto typed = build("tg.metrics.gauge('tidegate_lua_x', 'x')\nreturn {}", &declarer_);
  ASSERT_TRUE(typed.ok());
  auto vm2 = worker(&shard);
  lua_State* L = vm2->state();
  vm2->setMetricScope({nullptr, &(*typed)->catalog()});
  vm2->callState().phase = Phase::kLoad;
  EXPECT_EQ(testing::eval(*vm2, "local h = tg.metrics.histogram('tidegate_lua_x', 'x') return h"),
            "error: eval:1: tg.metrics.histogram: 'tidegate_lua_x' was declared as another type");
  vm2->callState().phase = Phase::kIdle;
  vm2->setMetricScope({});
  EXPECT_EQ(lua_gettop(L), LuaVm::kIdleStackTop);
}

TEST_F(MetricsApiTest, WithoutADeclarerNamesAreCheckedAndNothingIsRegistered) {
  auto bad = build("tg.metrics.counter('hits', 'h')\nreturn {}", nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "route api:1: tg.metrics.counter: counter 'hits' must end in _total");

  auto set = build(kScript, nullptr);
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(registry_.familyCount(), 0u);
  EXPECT_EQ((*set)->catalog().size(), 5u);
  // A worker of such a set records nothing, even with a shard.
  metrics::MetricShard shard;
  shard.reserve({1, 1, 1});
  auto vm = worker(&shard);
  auto loaded = LoadedScripts::load(*vm, *set);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  testing::FakeRequest req;
  EXPECT_EQ(runOnRequest(*(*loaded)->find("api"), req).action, HookAction::kContinue);
  EXPECT_EQ(shard.counter(CounterId{0}), 0u);
}

TEST_F(MetricsApiTest, RecordingChecksItsArguments) {
  auto set = build(R"(
    local c = tg.metrics.counter('tidegate_lua_c_total', 'c')
    local h = tg.metrics.histogram('tidegate_lua_h_seconds', 'h')
    local g = tg.metrics.gauge('tidegate_lua_g', 'g')
    return { on_request = function(req)
      local which = req:path()
      if which == '/neg' then c:inc(-1)
      elseif which == '/frac' then c:inc(0.5)
      elseif which == '/obs' then h:observe(-0.1)
      elseif which == '/self' then c.inc(h)
      elseif which == '/nan' then g:set(0/0)
      end
    end }
  )",
                   &declarer_);
  ASSERT_TRUE(set.ok()) << set.error().message();
  metrics::MetricShard shard;
  auto vm = worker(&shard);
  auto loaded = LoadedScripts::load(*vm, *set);
  ASSERT_TRUE(loaded.ok());
  const Script& script = *(*loaded)->find("api");
  const std::pair<const char*, const char*> cases[] = {
      {"/neg", "route api:7: counter:inc: the increment must be a whole number >= 0 (got -1)"},
      {"/frac", "route api:8: counter:inc: the increment must be a whole number >= 0 (got 0.5)"},
      {"/obs", "route api:9: histogram:observe: the value must be a finite number >= 0 (got -0.1)"},
      {"/self", "route api:10: expected a counter as self (call it as metric:method(...))"},
      {"/nan", "route api:11: gauge:set: the value is NaN"},
  };
  for (const auto& [path, message] : cases) {
    testing::FakeRequest req;
    req.path_ = path;
    const HookOutcome outcome = runOnRequest(script, req);
    EXPECT_EQ(outcome.action, HookAction::kFail) << path;
    EXPECT_EQ(outcome.error, message);
  }
  EXPECT_EQ(shard.counter(CounterId{series("tidegate_lua_c_total", {}).index}), 0u);
}

// The control VM: declares straight into the registry (its own shard reserved at once), and
// queries the windows the Aggregator fills.
class ControlMetricsTest : public ::testing::Test {
 protected:
  ControlMetricsTest() {
    auto builtins = metrics::RequestMetrics::declare(registry_);
    EXPECT_TRUE(builtins.ok());
    requests_ = std::make_unique<metrics::RequestMetrics>(std::move(builtins.value()));
    api_ = requests_->route("api", "pool").value();
    web_ = requests_->route("web", "pool").value();
    worker_->reserve(registry_.layout());
    aggregator_.addShard(worker_);
    aggregator_.addShard(control_shard_);
    VmOptions options;
    options.shard = control_shard_.get();
    options.declarer = &declarer_;
    options.registry = &registry_;
    options.windows = &aggregator_.windows();
    options.now = [this] { return lua_now_; };
    auto control = ControlVm::create(options);
    EXPECT_TRUE(control.ok());
    control_ = std::move(control.value());
  }
  void tick() {
    clock_.advance(std::chrono::seconds(1));
    aggregator_.fold();
  }
  std::string eval(const std::string& code) { return testing::eval(control_->vm(), code); }

  metrics::SeriesRegistry registry_;
  std::shared_ptr<metrics::MetricShard> control_shard_ = std::make_shared<metrics::MetricShard>();
  RegistryDeclarer declarer_{registry_, control_shard_.get()};
  std::shared_ptr<metrics::MetricShard> worker_ = std::make_shared<metrics::MetricShard>();
  metrics::ManualClock clock_{std::chrono::seconds(5000)};
  metrics::Aggregator aggregator_{registry_, clock_};
  std::unique_ptr<metrics::RequestMetrics> requests_;
  metrics::RouteSeries api_{}, web_{};
  double lua_now_ = 100;
  std::unique_ptr<ControlVm> control_;
};

TEST_F(ControlMetricsTest, WindowQueriesBuiltInFamiliesCombiningMatchingSeries) {
  aggregator_.fold();
  for (int s = 0; s < 10; ++s) {
    metrics::recordRequest(*worker_, api_, nullptr, metrics::StatusClass::k2xx, 1500, 10, 10);
    metrics::recordRequest(*worker_, api_, nullptr, metrics::StatusClass::k5xx, 1500, 10, 10);
    metrics::recordRequest(*worker_, web_, nullptr, metrics::StatusClass::k2xx, 1500, 10, 10);
    tick();
  }
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_http_requests_total', {route = 'api'}, "
                 "'rate', 10)"),
            "2");
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_http_requests_total', {route = 'api', "
                 "code_class = '5xx'}, 'sum', 10)"),
            "10");
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_http_requests_total', nil, 'rate', 10)"), "3");
  // Histograms answer in exposed units: 1500 us is 0.0015 s (within the buckets' 0.79%).
  const std::string avg =
      eval("return tg.metrics.window('tidegate_http_request_duration_seconds', {route = 'web'})");
  EXPECT_NEAR(std::stod(avg), 0.0015, 0.0015 * 0.008) << avg;
  const std::string p99 = eval(
      "return tg.metrics.window('tidegate_http_request_duration_seconds', {route = 'api'}, "
      "'p99', 10)");
  EXPECT_NEAR(std::stod(p99), 0.0015, 0.0015 * 0.008) << p99;
  // No matching series, no data, an unknown name.
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_http_requests_total', {route = 'none'}, "
                 "'rate', 10)"),
            "nil");
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_upstream_requests_total', nil, 'rate', 10)"),
            "nil");  // a family without series yet
  EXPECT_EQ(eval("local v, err = tg.metrics.window('tidegate_nope_total', nil, 'rate', 10) "
                 "return tostring(v) .. ' ' .. err"),
            "nil no metric named 'tidegate_nope_total'");
  // Mistakes raise.
  EXPECT_EQ(eval("local v = tg.metrics.window('tidegate_http_requests_total', {path = '/'}) "
                 "return v"),
            "error: eval:1: tg.metrics.window: 'tidegate_http_requests_total' has no label "
            "'path' (it has route, upstream, code_class)");
  EXPECT_EQ(eval("local v = tg.metrics.window('tidegate_http_requests_total', nil, 'median') "
                 "return v"),
            "error: eval:1: tg.metrics.window: unknown aggregation 'median' (rate, sum, count, "
            "avg, min, max, last, p50, p99, p99.9, ...)");
  EXPECT_EQ(eval("local v = tg.metrics.window('tidegate_http_requests_total', nil, 'rate', 901) "
                 "return v"),
            "error: eval:1: tg.metrics.window: the window must be 1 to 900 seconds");
}

TEST_F(ControlMetricsTest, ControlScriptsDeclareAndRecordIntoTheControlShard) {
  ASSERT_TRUE(control_
                  ->run(ScriptSource::fromString("control.lua", R"(
    local replicas = tg.metrics.gauge('tidegate_lua_wanted_replicas', 'Wanted.', {pool = 'api'},
                                      {merge = 'latest'})
    replicas:set(3)
    local runs = tg.metrics.counter('tidegate_lua_policy_runs_total', 'Runs.')
    tg.timer.every(1, function() runs:inc() end)
  )"))
                  .ok());
  const auto family = registry_.findFamily("tidegate_lua_wanted_replicas");
  ASSERT_TRUE(family);
  EXPECT_EQ(registry_.family(*family).spec.gauge_merge, metrics::GaugeMerge::kLatest);
  const GaugeId replicas{registry_.family(*family).series.at(0).index};
  EXPECT_DOUBLE_EQ(control_shard_->gauge(replicas).value, 3.0);
  for (int s = 0; s < 5; ++s) {
    lua_now_ += 1;
    control_->tick(lua_now_);
    tick();
  }
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_lua_policy_runs_total', nil, 'sum', 60)"),
            "5");
  EXPECT_EQ(eval("return tg.metrics.window('tidegate_lua_wanted_replicas', {pool = 'api'}, "
                 "'last', 60)"),
            "3");
}

TEST_F(ControlMetricsTest, WindowIsForTheControlVmOnly) {
  auto vm = testing::makeVm();
  EXPECT_EQ(testing::eval(*vm, "return tg.metrics.window"), "nil");
  EXPECT_EQ(testing::eval(*vm, "return type(tg.metrics.counter)"), "function");
  EXPECT_EQ(eval("return type(tg.metrics.window)"), "function");
}

}  // namespace
}  // namespace tidegate::lua
