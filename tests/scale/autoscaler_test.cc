// The engine around a policy: start into [min, max], clamping, cooldowns, dry_run, policy and
// provider errors keeping the count, and what goes to the event log.

#include "scale/autoscaler.h"

#include <gtest/gtest.h>

#include "fake_metric_source.h"
#include "recording_provider.h"
#include "scale/lua_policy.h"

namespace tidegate::scale {
namespace {

// Answers whatever the test sets, and remembers the context it was given.
class ScriptedPolicy : public Policy {
 public:
  const std::string& name() const override { return name_; }
  Result<Decision> evaluate(const PolicyContext& ctx) override {
    seen.push_back(ctx);
    if (!error.empty()) return Error(ErrorSource::kScript, error);
    Decision d;
    d.desired = answer;
    d.recommendation = answer;
    d.reason = "scripted";
    d.inputs = {{"load", 42}};
    return d;
  }
  nlohmann::json saveState() const override { return nlohmann::json::object(); }
  Result<Ok> restoreState(const nlohmann::json&) override { return Ok{}; }

  int answer = 1;
  std::string error;
  std::vector<PolicyContext> seen;

 private:
  std::string name_ = "scripted";
};

class AutoscalerTest : public ::testing::Test {
 protected:
  Autoscaler& make(config::ScaleConfig cfg) {
    auto p = std::make_unique<ScriptedPolicy>();
    policy = p.get();
    scaler = std::make_unique<Autoscaler>("app", cfg, std::move(p), provider, metrics, events);
    return *scaler;
  }
  static config::ScaleConfig bounds(uint32_t min, uint32_t max) {
    config::ScaleConfig cfg;
    cfg.min = min;
    cfg.max = max;
    return cfg;
  }
  std::vector<ScaleEvent> ofKind(EventKind kind) const {
    std::vector<ScaleEvent> out;
    for (const ScaleEvent& e : events.recent(1000))
      if (e.kind == kind) out.push_back(e);
    return out;
  }

  FakeMetricSource metrics;
  RecordingProvider provider;
  EventLog events;
  ScriptedPolicy* policy = nullptr;
  std::unique_ptr<Autoscaler> scaler;
};

TEST_F(AutoscalerTest, FirstTickBringsThePoolToMin) {
  Autoscaler& a = make(bounds(2, 5));
  policy->answer = 2;
  a.tick(1000);
  EXPECT_EQ(provider.calls, (std::vector<uint32_t>{2}));
  EXPECT_EQ(a.target(), 2);
  ASSERT_EQ(policy->seen.size(), 1u);
  EXPECT_EQ(policy->seen[0].replicas, 2);
  EXPECT_EQ(policy->seen[0].min, 2);
  EXPECT_EQ(policy->seen[0].max, 5);
}

TEST_F(AutoscalerTest, ClampsToMinAndMax) {
  Autoscaler& a = make(bounds(2, 5));
  policy->answer = 50;
  a.tick(0);
  EXPECT_EQ(a.target(), 5);
  policy->answer = -3;
  a.tick(1000);
  EXPECT_EQ(a.target(), 2);
  EXPECT_EQ(provider.calls, (std::vector<uint32_t>{2, 5, 2}));
  std::vector<ScaleEvent> scales = ofKind(EventKind::kScale);
  ASSERT_EQ(scales.size(), 3u);
  EXPECT_NE(scales[1].reason.find("clamped to max 5"), std::string::npos) << scales[1].reason;
  EXPECT_NE(scales[2].reason.find("clamped to min 2"), std::string::npos) << scales[2].reason;
}

TEST_F(AutoscalerTest, CooldownsHoldUpAndDownSeparately) {
  config::ScaleConfig cfg = bounds(1, 10);
  cfg.cooldown_up_ms = 5000;
  cfg.cooldown_down_ms = 20000;
  Autoscaler& a = make(cfg);
  policy->answer = 1;
  a.tick(0);  // start: 0 -> 1
  policy->answer = 3;
  a.tick(1000);
  EXPECT_EQ(a.target(), 1) << "within the up cooldown of the start";
  a.tick(5000);
  EXPECT_EQ(a.target(), 3);
  policy->answer = 2;
  a.tick(10000);
  a.tick(24999);
  EXPECT_EQ(a.target(), 3) << "within the down cooldown";
  a.tick(25000);
  EXPECT_EQ(a.target(), 2);
  EXPECT_EQ(provider.calls, (std::vector<uint32_t>{1, 3, 2}));
  std::vector<ScaleEvent> held = ofKind(EventKind::kDecision);
  ASSERT_EQ(held.size(), 2u) << "a held outcome is recorded once, not every tick";
  EXPECT_NE(held[0].reason.find("scale-up cooldown"), std::string::npos) << held[0].reason;
  EXPECT_NE(held[1].reason.find("scale-down cooldown"), std::string::npos) << held[1].reason;
}

TEST_F(AutoscalerTest, DryRunDecidesAndLogsButDoesNotAct) {
  config::ScaleConfig cfg = bounds(1, 10);
  cfg.dry_run = true;
  Autoscaler& a = make(cfg);
  policy->answer = 4;
  a.tick(0);
  a.tick(1000);
  a.tick(2000);
  EXPECT_EQ(provider.calls, (std::vector<uint32_t>{1})) << "only the start into [min, max]";
  EXPECT_EQ(a.target(), 1);
  std::vector<ScaleEvent> decisions = ofKind(EventKind::kDecision);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].current, 1);
  EXPECT_EQ(decisions[0].desired, 4);
  EXPECT_NE(decisions[0].reason.find("dry run"), std::string::npos);
  EXPECT_EQ(decisions[0].inputs, (std::vector<std::pair<std::string, double>>{{"load", 42}}));
}

TEST_F(AutoscalerTest, PolicyErrorKeepsTheCountAndIsRecordedOnce) {
  Autoscaler& a = make(bounds(1, 10));
  policy->answer = 3;
  a.tick(0);
  policy->error = "policy.lua:3: attempt to index nil";
  a.tick(1000);
  a.tick(2000);
  EXPECT_EQ(a.target(), 3);
  EXPECT_EQ(a.stats().errors, 2u);
  std::vector<ScaleEvent> errors = ofKind(EventKind::kError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error, "policy.lua:3: attempt to index nil");
  EXPECT_EQ(errors[0].current, 3);
  policy->error.clear();
  policy->answer = 4;
  a.tick(3000);
  EXPECT_EQ(a.target(), 4);
}

TEST_F(AutoscalerTest, FailedProviderActionIsAnErrorEventAndRetried) {
  Autoscaler& a = make(bounds(1, 10));
  policy->answer = 1;
  a.tick(0);
  provider.fail_with = "no free port in 9100-9101";
  policy->answer = 5;
  a.tick(1000);
  EXPECT_EQ(a.target(), 1);
  std::vector<ScaleEvent> errors = ofKind(EventKind::kError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].desired, 5);
  EXPECT_NE(errors[0].error.find("no free port"), std::string::npos);
  provider.fail_with.clear();
  a.tick(2000);
  EXPECT_EQ(a.target(), 5);
  EXPECT_EQ(provider.calls, (std::vector<uint32_t>{1, 5, 5}));
}

TEST_F(AutoscalerTest, ContextCarriesHistoryWithAges) {
  Autoscaler& a = make(bounds(1, 10));
  policy->answer = 2;
  a.tick(0);     // start 0 -> 1, then 1 -> 2
  a.tick(1000);  // steady at 2
  a.tick(2000);  // steady again: collapsed into the previous evaluation
  policy->answer = 3;
  a.tick(10000);  // 2 -> 3
  a.tick(12000);
  const PolicyContext& ctx = policy->seen.back();
  EXPECT_EQ(ctx.replicas, 3);
  EXPECT_EQ(ctx.ready, 3);
  EXPECT_DOUBLE_EQ(ctx.since_last_scale, 2.0);
  ASSERT_EQ(ctx.scale_events.size(), 3u);  // newest first
  EXPECT_DOUBLE_EQ(ctx.scale_events[0].age_s, 2.0);
  EXPECT_EQ(ctx.scale_events[0].from, 2);
  EXPECT_EQ(ctx.scale_events[0].to, 3);
  EXPECT_EQ(ctx.scale_events[2].from, 0);
  ASSERT_EQ(ctx.decisions.size(), 3u);
  EXPECT_DOUBLE_EQ(ctx.decisions[0].age_s, 2.0);
  EXPECT_EQ(ctx.decisions[0].current, 2);
  EXPECT_EQ(ctx.decisions[0].desired, 3);
  EXPECT_DOUBLE_EQ(ctx.decisions[1].age_s, 10.0) << "the run at 2 keeps its newest time";
  EXPECT_EQ(ctx.decisions[1].desired, 2);
  EXPECT_EQ(ctx.decisions[2].current, 1);
}

TEST_F(AutoscalerTest, ProviderEventsGoToTheLog) {
  Autoscaler& a = make(bounds(1, 3));
  a.onProviderEvent(ProviderEvent{"crash", "app-1", "exited with status 1", true}, 500);
  std::vector<ScaleEvent> e = ofKind(EventKind::kProvider);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].instance, "app-1");
  EXPECT_EQ(e[0].error, "exited with status 1");
  EXPECT_EQ(e[0].pool, "app");
}

TEST_F(AutoscalerTest, MeasuresEvaluationTime) {
  Autoscaler& a = make(bounds(1, 3));
  a.tick(0);
  a.tick(1000);
  EXPECT_EQ(a.stats().evaluations, 2u);
  EXPECT_GE(a.stats().max_eval_us, a.stats().last_eval_us);
  EXPECT_GE(a.stats().max_eval_us, a.stats().avg_eval_us);
}

TEST_F(AutoscalerTest, LuaPolicyErrorsNeverCrashTheEngine) {
  auto lua = LuaPolicy::create(
      lua::ScriptSource::fromString("bad.lua", "return function(ctx) return ctx.nope.x end"),
      nlohmann::json::object());
  ASSERT_TRUE(lua.ok()) << lua.error().message();
  Autoscaler a("app", bounds(2, 4), std::move(lua.value()), provider, metrics, events);
  a.tick(0);
  a.tick(1000);
  EXPECT_EQ(a.target(), 2);
  std::vector<ScaleEvent> errors = ofKind(EventKind::kError);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].error.find("bad.lua:1:"), std::string::npos) << errors[0].error;
}

TEST(EventLogTest, KeepsTheNewestAndNumbersThem) {
  EventLog log(3);
  for (int i = 0; i < 5; ++i) {
    ScaleEvent e;
    e.pool = i % 2 ? "a" : "b";
    e.desired = i;
    log.record(e);
  }
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.lastSeq(), 5u);
  std::vector<ScaleEvent> all = log.recent(10);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().desired, 2);
  EXPECT_EQ(all.back().desired, 4);
  std::vector<ScaleEvent> a = log.recent(10, "a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].desired, 3);
  EXPECT_EQ(log.since(4).size(), 1u);
}

TEST(EventLogTest, PolicyReadsTheEventsFromLua) {
  EventLog log;
  ScaleEvent e;
  e.at_ms = 1000;
  e.pool = "app";
  e.kind = EventKind::kScale;
  e.current = 1;
  e.desired = 3;
  e.reason = "busy";
  e.inputs = {{"rps", 12.5}};
  log.record(e);
  e.pool = "other";
  log.record(e);
  auto lua = LuaPolicy::create(lua::ScriptSource::fromString("events.lua", R"(
    return function(ctx)
      local e = ctx.events[1]
      assert(#ctx.events == 1, "only this pool's events")
      return e.desired * 100 + e.age, e.kind .. " " .. e.reason .. " " .. e.inputs.rps
    end)"),
                               nlohmann::json::object());
  ASSERT_TRUE(lua.ok()) << lua.error().message();
  lua.value()->attachEventLog(&log, "app");
  FakeMetricSource m;
  PolicyContext ctx = makeContext(m, 1, 1, 1, 5);
  ctx.now = 3.0;
  auto d = lua.value()->evaluate(ctx);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value().desired, 302);
  EXPECT_EQ(d.value().reason, "scale busy 12.5");
}

}  // namespace
}  // namespace tidegate::scale
