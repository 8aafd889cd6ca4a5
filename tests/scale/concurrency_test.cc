// concurrency (Knative KPA, pkg/autoscaler/scaling/autoscaler.go): stable-window sizing, the
// switch to the panic window at 2x the ready instances, no scale-down while panicking, leaving
// panic a stable window after the last overload, and the max up/down rates.

#include <gtest/gtest.h>

#include "fake_metric_source.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override { policy = make({{"target", 10}}); }  // 7 per instance at 70%

  static std::unique_ptr<Policy> make(const json& params) {
    auto p = makeBuiltinPolicy("concurrency", params);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
    return p.ok() ? std::move(p.value()) : nullptr;
  }

  Decision at(double now, int ready, double stable, double panic) {
    metrics.set("inflight", "avg", 60, stable);
    metrics.set("inflight", "avg", 6, panic);
    PolicyContext ctx = makeContext(metrics, ready, ready, 1, 100);
    ctx.now = now;
    auto d = policy->evaluate(ctx);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message());
    return d.ok() ? d.value() : Decision{};
  }

  FakeMetricSource metrics;
  std::unique_ptr<Policy> policy;
};

TEST_F(ConcurrencyTest, StableWindowSizesThePool) {
  EXPECT_EQ(at(0, 4, 35, 40).desired, 5);  // ceil(35 / 7); panic 6 / 4 < 2
  EXPECT_EQ(at(1, 3, 21, 21).desired, 3);
  EXPECT_EQ(policy->saveState(), json::object()) << "never panicked";
}

TEST_F(ConcurrencyTest, PanicsAtTwiceTheReadyInstances) {
  Decision d = at(0, 2, 14, 70);  // panic: ceil(70 / 7) = 10 >= 2 x 2
  EXPECT_EQ(d.desired, 10);
  EXPECT_NE(d.reason.find("panic"), std::string::npos) << d.reason;
  EXPECT_EQ(policy->saveState()["panic_since"], 0);
}

TEST_F(ConcurrencyTest, JustBelowThePanicThresholdStaysStable) {
  Decision d = at(0, 2, 14, 27);  // ceil(27 / 7) = 4 = 2 x 2: panics
  EXPECT_EQ(d.desired, 4);
  SetUp();
  d = at(0, 2, 14, 21);  // 3 < 4: stable says 2
  EXPECT_EQ(d.desired, 2);
}

TEST_F(ConcurrencyTest, NoScaleDownWhilePanicking) {
  EXPECT_EQ(at(0, 2, 14, 70).desired, 10);
  EXPECT_EQ(at(10, 10, 14, 14).desired, 10) << "load gone, but still within the stable window";
  EXPECT_EQ(at(60, 10, 14, 14).desired, 10);
  // 61 s after the last overload: out of panic; down at most to ready / 2.
  Decision d = at(61, 10, 14, 14);
  EXPECT_EQ(d.desired, 5);
  EXPECT_EQ(policy->saveState(), json::object());
}

TEST_F(ConcurrencyTest, OverloadWhilePanickingExtendsIt) {
  EXPECT_EQ(at(0, 2, 14, 70).desired, 10);
  EXPECT_EQ(at(50, 3, 14, 70).desired, 10);  // still over: panic_since = 50
  EXPECT_EQ(at(100, 10, 14, 14).desired, 10);
  EXPECT_EQ(at(111, 10, 14, 14).desired, 5);
}

TEST_F(ConcurrencyTest, MaxScaleUpRate) {
  policy = make({{"target", 10}, {"max_scale_up_rate", 2}});
  EXPECT_EQ(at(0, 1, 100, 100).desired, 2);
}

TEST_F(ConcurrencyTest, NoDataIsAnError) {
  PolicyContext ctx = makeContext(metrics, 2, 2, 1, 10);
  EXPECT_FALSE(policy->evaluate(ctx).ok());
}

TEST(ConcurrencyParamsTest, PanicWindowWithinStableWindow) {
  auto p = makeBuiltinPolicy("concurrency", {{"stable_window", "10s"}, {"panic_window", "20s"}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("concurrency.panic_window"), std::string::npos);
}

}  // namespace
}  // namespace tidegate::scale
