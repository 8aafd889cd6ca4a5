// Lua policies: what ctx offers, the forms of an answer, state across calls, and every way a
// script can fail (syntax, runtime error, wrong answer, runaway loop, memory) without taking
// the engine down.

#include "scale/lua_policy.h"

#include <gtest/gtest.h>

#include "fake_metric_source.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

std::unique_ptr<LuaPolicy> load(const std::string& code, json params = json::object(),
                                LuaPolicyOptions options = {}) {
  auto p = LuaPolicy::create(lua::ScriptSource::fromString("p.lua", code), params, options);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
  return p.ok() ? std::move(p.value()) : nullptr;
}

std::string loadError(const std::string& code) {
  auto p = LuaPolicy::create(lua::ScriptSource::fromString("p.lua", code), json::object());
  EXPECT_FALSE(p.ok());
  return p.ok() ? "" : p.error().message();
}

class LuaPolicyTest : public ::testing::Test {
 protected:
  Result<Decision> run(LuaPolicy& p) { return p.evaluate(ctx); }
  std::string errorOf(LuaPolicy& p) {
    auto d = p.evaluate(ctx);
    EXPECT_FALSE(d.ok());
    return d.ok() ? "" : d.error().message();
  }
  FakeMetricSource metrics;
  PolicyContext ctx = makeContext(metrics, 3, 2, 1, 10);
};

TEST_F(LuaPolicyTest, AnswerForms) {
  EXPECT_EQ(run(*load("return function(ctx) return 4 end")).value().desired, 4);
  auto two = run(*load("return function(ctx) return 5, 'busy' end"));
  EXPECT_EQ(two.value().desired, 5);
  EXPECT_EQ(two.value().reason, "busy");
  auto table =
      run(*load("return function(ctx) return {desired = 6, reason = 'r', recommendation = 7,"
                " inputs = {q = 1.5}} end"));
  EXPECT_EQ(table.value().desired, 6);
  EXPECT_EQ(table.value().recommendation, 7);
  EXPECT_EQ(table.value().inputs, (std::vector<std::pair<std::string, double>>{{"q", 1.5}}));
  EXPECT_EQ(run(*load("return function(ctx) return 2.2 end")).value().desired, 3)
      << "fractions round up";
}

TEST_F(LuaPolicyTest, ContextFields) {
  ctx.now = 1234.5;
  ctx.since_last_scale = 7;
  ctx.decisions = {{4, 3, 3, 2, "steady"}};
  ctx.scale_events = {{9, 2, 3}};
  auto d = run(*load(R"(return function(ctx)
    assert(ctx.replicas == 3 and ctx.ready == 2 and ctx.min == 1 and ctx.max == 10)
    assert(ctx.now == 1234.5 and ctx.since_last_scale == 7)
    local dd, se = ctx.decisions[1], ctx.scale_events[1]
    assert(dd.age == 4 and dd.current == 3 and dd.desired == 3 and dd.recommendation == 2)
    assert(dd.reason == "steady")
    assert(se.age == 9 and se.from == 2 and se.to == 3)
    return ctx.params.k
  end)",
                     {{"k", 8}}));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value().desired, 8);
}

TEST_F(LuaPolicyTest, MetricsAndInstances) {
  metrics.set("rps", "p99", 30, 250);
  metrics.setInstance("cpu", "a", true, 0.5);
  metrics.setInstance("cpu", "b", false, std::nullopt);
  auto d = run(*load(R"(return function(ctx)
    assert(ctx:metric("nothing", "avg", 10) == nil)
    local v = ctx:metric("rps", "p99", "30s")
    local list = ctx:instances("cpu")
    assert(#list == 2 and list[1].id == "a" and list[1].ready and list[1].value == 0.5)
    assert(list[2].ready == false and list[2].value == nil)
    return v / 50
  end)"));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value().desired, 5);
  EXPECT_EQ(d.value().inputs, (std::vector<std::pair<std::string, double>>{{"rps p99 30s", 250}}));
}

TEST_F(LuaPolicyTest, BadMetricArgumentsAreErrors) {
  EXPECT_NE(errorOf(*load("return function(ctx) return ctx:metric('rps', 'median') end"))
                .find("unknown aggregation 'median'"),
            std::string::npos);
  EXPECT_NE(errorOf(*load("return function(ctx) return ctx:metric('rps', 'avg', 5000) end"))
                .find("the window must be 1 to 900 seconds"),
            std::string::npos);
}

TEST_F(LuaPolicyTest, StatePersistsAndRoundTrips) {
  auto p = load(R"(return function(ctx)
    ctx.state.n = (ctx.state.n or 0) + 1
    ctx.state.list = {1, 2}
    return ctx.state.n
  end)");
  EXPECT_EQ(run(*p).value().desired, 1);
  EXPECT_EQ(run(*p).value().desired, 2);
  EXPECT_EQ(p->saveState(), (json{{"n", 2}, {"list", {1, 2}}}));
  ASSERT_TRUE(p->restoreState({{"n", 10}}).ok());
  EXPECT_EQ(run(*p).value().desired, 11);
}

TEST_F(LuaPolicyTest, RuntimeErrorNamesTheLine) {
  auto p = load("return function(ctx)\n  return ctx.nothing.here\nend");
  EXPECT_NE(errorOf(*p).find("p.lua:2:"), std::string::npos);
  EXPECT_NE(errorOf(*p).find("p.lua:2:"), std::string::npos) << "the VM stays usable";
}

TEST_F(LuaPolicyTest, NonNumberAnswersAreErrors) {
  EXPECT_NE(errorOf(*load("return function(ctx) return 'three' end"))
                .find("returned string; expected a number"),
            std::string::npos);
  EXPECT_NE(errorOf(*load("return function(ctx) end")).find("returned nil"), std::string::npos);
  EXPECT_NE(errorOf(*load("return function(ctx) return 0/0 end")).find("expected a number"),
            std::string::npos);
  EXPECT_NE(errorOf(*load("return function(ctx) return 1, {} end")).find("reason must be a string"),
            std::string::npos);
}

TEST_F(LuaPolicyTest, RunawayLoopHitsTheTimeLimitAndTheVmRecovers) {
  auto p = load(R"(return function(ctx)
    if ctx.params.spin and ctx.replicas == 3 then while true do end end
    return 2
  end)",
                {{"spin", true}}, LuaPolicyOptions{.time_limit = std::chrono::milliseconds(20)});
  EXPECT_FALSE(run(*p).ok());
  ctx.replicas = 4;
  auto d = run(*p);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d.value().desired, 2);
}

TEST_F(LuaPolicyTest, MemoryHogIsAnError) {
  auto p = load(
      R"(return function(ctx)
    local t = {}
    for i = 1, 1e7 do t[i] = string.rep("x", 64) .. i end
    return 1
  end)",
      json::object(),
      LuaPolicyOptions{.memory_limit_bytes = 4u << 20, .time_limit = std::chrono::seconds(60)});
  EXPECT_FALSE(run(*p).ok());
}

TEST_F(LuaPolicyTest, LoadErrors) {
  EXPECT_NE(loadError("return function(ctx) return 1").find("p.lua:1:"), std::string::npos);
  EXPECT_NE(loadError("return 42").find("must return a function(ctx) (it returned number)"),
            std::string::npos);
  EXPECT_NE(loadError("error('boom')").find("boom"), std::string::npos);
}

TEST_F(LuaPolicyTest, SandboxHasNoIo) {
  EXPECT_FALSE(
      run(*load("return function(ctx) return io.open('/etc/passwd') and 1 or 2 end")).ok());
}

}  // namespace
}  // namespace tidegate::scale
