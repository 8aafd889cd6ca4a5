// Each built-in policy and its readable Lua copy in examples/lua/policies/ must give the same
// decisions: every case below runs through both (each keeping its own state across the case's
// steps) and compares success, desired count and recommendation at every step.

#include <gtest/gtest.h>

#include <functional>

#include "fake_metric_source.h"
#include "scale/lua_policy.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

struct Step {
  int replicas;
  int ready;
  double now = 0;
  std::function<void(FakeMetricSource&)> metrics;
  std::vector<PastDecision> decisions = {};
  std::vector<PastScale> scale_events = {};
  double since_last_scale = 1e9;
  int min = 1;
  int max = 100;
};

struct Case {
  std::string name;
  std::string policy;
  json params;
  std::vector<Step> steps;
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.policy << "/" << c.name;
}

auto instances(std::vector<std::tuple<bool, std::optional<double>>> list) {
  return [list](FakeMetricSource& m) {
    int i = 0;
    for (const auto& [ready, value] : list) {
      std::string id = "i";  // not "i" + to_string(): GCC 12 warns (-Wrestrict) on that
      id += std::to_string(i++);
      m.setInstance("cpu", id, ready, value);
    }
  };
}
auto same(int n, double v) {
  std::vector<std::tuple<bool, std::optional<double>>> list(size_t(n), {true, v});
  return instances(list);
}
auto value(const std::string& name, double v) {
  return [name, v](FakeMetricSource& m) { m.set(name, v); };
}
auto none() {
  return [](FakeMetricSource&) {};
}
auto windows(double stable, double panic) {
  return [stable, panic](FakeMetricSource& m) {
    m.set("inflight", "avg", 60, stable);
    m.set("inflight", "avg", 6, panic);
  };
}

json cpu(double target, json extra = json::object()) {
  json p = {{"metrics", {{{"name", "cpu"}, {"type", "utilization"}, {"target", target}}}}};
  p.update(extra);
  return p;
}
json noDownWindow() {
  return {{"behavior", {{"scale_down", {{"stabilization_window", 0}}}}}};
}

json awsSteps(const std::string& type) {
  return {{"metric", "cpu_percent"},
          {"adjustment_type", type},
          {"scale_out",
           {{"threshold", 50},
            {"steps",
             {{{"lower", 0}, {"upper", 10}, {"adjustment", 0}},
              {{"lower", 10}, {"upper", 20}, {"adjustment", 10}},
              {{"lower", 20}, {"adjustment", 30}}}}}},
          {"scale_in",
           {{"threshold", 50},
            {"steps",
             {{{"lower", -10}, {"upper", 0}, {"adjustment", 0}},
              {{"lower", -20}, {"upper", -10}, {"adjustment", -10}},
              {{"upper", -20}, {"adjustment", -30}}}}}}};
}

std::vector<Case> cases() {
  json scale_down_docs =
      cpu(0.5, {{"behavior",
                 {{"scale_down",
                   {{"stabilization_window", 0},
                    {"policies",
                     {{{"type", "Pods"}, {"value", 4}, {"period", 60}},
                      {{"type", "Percent"}, {"value", 10}, {"period", 60}}}}}}}}});
  json two_metrics = cpu(0.6, noDownWindow());
  two_metrics["metrics"].push_back({{"name", "rps"}, {"type", "average_value"}, {"target", 100}});
  json pct = awsSteps("PercentChangeInCapacity");
  json pct_mam = pct;
  pct_mam["min_adjustment_magnitude"] = 2;
  json pct_cool = pct;
  pct_cool["cooldown"] = "60s";
  json threshold = {{"metric", "host_cpu"},
                    {"upper", 0.8},
                    {"lower", 0.3},
                    {"duration", "60s"},
                    {"scale_out_by", 2}};
  return {
      {"double", "target_tracking", cpu(0.1, noDownWindow()), {{3, 3, 0, same(3, 0.2)}}},
      {"halve", "target_tracking", cpu(0.1, noDownWindow()), {{4, 4, 0, same(4, 0.05)}}},
      {"tolerance",
       "target_tracking",
       cpu(0.5, noDownWindow()),
       {{10, 10, 0, same(10, 0.525)}, {10, 10, 0, same(10, 0.575)}}},
      {"clamp", "target_tracking", cpu(0.5), {{4, 4, 0, same(4, 1.0), {}, {}, 1e9, 1, 5}}},
      {"two_metrics",
       "target_tracking",
       two_metrics,
       {{2, 2, 0,
         [](FakeMetricSource& m) {
           same(2, 0.9)(m);
           m.set("rps", 500);
         }}}},
      {"value_target",
       "target_tracking",
       json{{"metrics", {{{"name", "inflight"}, {"target", 10}}}}},
       {{2, 2, 0, value("inflight", 30)}, {2, 2, 0, value("inflight", 10.5)}}},
      {"unready_less_scale",
       "target_tracking",
       cpu(0.3),
       {{3, 2, 0, instances({{false, 0.3}, {true, 0.5}, {true, 0.7}})}}},
      {"unready_no_scale",
       "target_tracking",
       cpu(0.3),
       {{3, 1, 0, instances({{true, 0.4}, {false, 0.5}, {false, 0.7}})}}},
      {"missing_down",
       "target_tracking",
       cpu(0.5, noDownWindow()),
       {{4, 4, 0, instances({{true, 0.2}, {true, 0.2}, {true, 0.2}, {true, std::nullopt}})}}},
      {"missing_up",
       "target_tracking",
       cpu(0.5),
       {{4, 4, 0, instances({{true, 1.0}, {true, 1.0}, {true, 1.0}, {true, std::nullopt}})}}},
      {"no_data", "target_tracking", cpu(0.5), {{4, 4, 0, none()}}},
      {"stabilization",
       "target_tracking",
       cpu(0.5),
       {{8, 8, 0, same(8, 0.25), {{100, 8, 8, 8, ""}, {200, 8, 8, 6, ""}}},
        {8, 8, 0, same(8, 0.25), {{100, 8, 8, 6, ""}, {301, 8, 8, 8, ""}}}}},
      {"scale_down_rate",
       "target_tracking",
       scale_down_docs,
       {{80, 80, 0, same(80, 0.01)},
        {72, 72, 0, same(72, 0.01), {}, {{10, 80, 72}}},
        {72, 72, 0, same(72, 0.01), {}, {{61, 80, 72}}}}},
      {"default_up_rate", "target_tracking", cpu(0.5), {{2, 2, 0, same(2, 5.0)}}},
      {"docs_walk_through",
       "step",
       pct,
       {{10, 10, 0, value("cpu_percent", 60)},
        {11, 11, 0, value("cpu_percent", 70)},
        {14, 14, 0, value("cpu_percent", 40)},
        {13, 13, 0, value("cpu_percent", 30)},
        {10, 10, 0, value("cpu_percent", 55)}}},
      {"change_bounds",
       "step",
       awsSteps("ChangeInCapacity"),
       {{10, 10, 0, value("cpu_percent", 59.9)},
        {10, 10, 0, value("cpu_percent", 60)},
        {20, 20, 0, value("cpu_percent", 40)},
        {20, 20, 0, value("cpu_percent", 40.1)}}},
      {"exact", "step", awsSteps("ExactCapacity"), {{3, 3, 0, value("cpu_percent", 75)}}},
      {"fractions",
       "step",
       pct_mam,
       {{2, 2, 0, value("cpu_percent", 65)}, {40, 40, 0, value("cpu_percent", 65)}}},
      {"cooldown",
       "step",
       pct_cool,
       {{10, 10, 0, value("cpu_percent", 75), {}, {}, 30},
        {10, 10, 0, value("cpu_percent", 75), {}, {}, 60}}},
      {"no_data", "step", pct, {{10, 10, 0, none()}}},
      {"above_then_dip",
       "threshold",
       threshold,
       {{4, 4, 0, value("host_cpu", 0.9)},
        {4, 4, 30, value("host_cpu", 0.95)},
        {4, 4, 60, value("host_cpu", 0.85)},
        {6, 6, 61, value("host_cpu", 0.9)},
        {6, 6, 100, value("host_cpu", 0.5)},
        {6, 6, 110, value("host_cpu", 0.9)},
        {6, 6, 170, value("host_cpu", 0.9)}}},
      {"below",
       "threshold",
       threshold,
       {{4, 4, 0, value("host_cpu", 0.1)}, {4, 4, 60, value("host_cpu", 0.2)}}},
      {"no_data", "threshold", threshold, {{4, 4, 0, none()}}},
      {"stable", "concurrency", json{{"target", 10}}, {{4, 4, 0, windows(35, 40)}}},
      {"panic_and_hold",
       "concurrency",
       json{{"target", 10}},
       {{2, 2, 0, windows(14, 70)},
        {10, 10, 10, windows(14, 14)},
        {10, 3, 50, windows(14, 70)},
        {10, 10, 100, windows(14, 14)},
        {10, 10, 111, windows(14, 14)}}},
      {"threshold_edge", "concurrency", json{{"target", 10}}, {{2, 2, 0, windows(14, 27)}}},
      {"max_up_rate",
       "concurrency",
       json{{"target", 10}, {"max_scale_up_rate", 2}},
       {{1, 1, 0, windows(100, 100)}}},
      {"no_data", "concurrency", json{{"target", 10}}, {{2, 2, 0, none()}}},
  };
}

class PolicyEquivalenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(PolicyEquivalenceTest, BuiltinAndLuaFileDecideAlike) {
  const Case& c = GetParam();
  auto builtin = makeBuiltinPolicy(c.policy, c.params);
  ASSERT_TRUE(builtin.ok()) << builtin.error().message();
  const std::string path =
      std::string(TIDEGATE_SOURCE_DIR) + "/examples/lua/policies/" + c.policy + ".lua";
  auto source = lua::ScriptSource::fromFile(path);
  ASSERT_TRUE(source.ok()) << source.error().message();
  auto lua = LuaPolicy::create(source.value(), c.params);
  ASSERT_TRUE(lua.ok()) << lua.error().message();

  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& s = c.steps[i];
    FakeMetricSource m;
    s.metrics(m);
    PolicyContext ctx = makeContext(m, s.replicas, s.ready, s.min, s.max);
    ctx.now = s.now;
    ctx.since_last_scale = s.since_last_scale;
    ctx.decisions = s.decisions;
    ctx.scale_events = s.scale_events;
    Result<Decision> a = builtin.value()->evaluate(ctx);
    Result<Decision> b = lua.value()->evaluate(ctx);
    SCOPED_TRACE("step " + std::to_string(i));
    ASSERT_EQ(a.ok(), b.ok()) << (a.ok() ? "" : "built-in: " + a.error().message())
                              << (b.ok() ? "" : "lua: " + b.error().message());
    if (!a.ok()) continue;
    EXPECT_EQ(a.value().desired, b.value().desired)
        << "built-in: " << a.value().reason << "\nlua: " << b.value().reason;
    EXPECT_EQ(a.value().recommendation, b.value().recommendation);
    EXPECT_EQ(builtin.value()->saveState(), lua.value()->saveState());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PolicyEquivalenceTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.policy + "_" + info.param.name;
                         });

}  // namespace
}  // namespace tidegate::scale
