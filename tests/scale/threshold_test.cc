// threshold: "above the bound for the whole duration" adds N, "below" removes N, and the clock
// restarts after each step and whenever the metric comes back within bounds.

#include <gtest/gtest.h>

#include "fake_metric_source.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

class ThresholdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = makeBuiltinPolicy("threshold", {{"metric", "host_cpu"},
                                             {"upper", 0.8},
                                             {"lower", 0.3},
                                             {"duration", "60s"},
                                             {"scale_out_by", 2}});
    ASSERT_TRUE(p.ok()) << p.error().message();
    policy = std::move(p.value());
  }

  int at(double now, double value, int current = 4) {
    metrics.set("host_cpu", value);
    PolicyContext ctx = makeContext(metrics, current, current, 1, 20);
    ctx.now = now;
    auto d = policy->evaluate(ctx);
    EXPECT_TRUE(d.ok());
    return d.ok() ? d.value().desired : -1;
  }

  FakeMetricSource metrics;
  std::unique_ptr<Policy> policy;
};

TEST_F(ThresholdTest, ScalesOutAfterTheWholeDurationAbove) {
  EXPECT_EQ(at(0, 0.9), 4);
  EXPECT_EQ(at(30, 0.95), 4);
  EXPECT_EQ(at(60, 0.85), 6);
  EXPECT_EQ(at(61, 0.9, 6), 6) << "the next step needs another full duration";
  EXPECT_EQ(at(120, 0.9, 6), 8);
}

TEST_F(ThresholdTest, DipWithinBoundsRestartsTheClock) {
  EXPECT_EQ(at(0, 0.9), 4);
  EXPECT_EQ(at(50, 0.5), 4);
  EXPECT_EQ(at(60, 0.9), 4);
  EXPECT_EQ(at(110, 0.9), 4);
  EXPECT_EQ(at(120, 0.9), 6);
}

TEST_F(ThresholdTest, ScalesInAfterTheWholeDurationBelow) {
  EXPECT_EQ(at(0, 0.1), 4);
  EXPECT_EQ(at(59, 0.1), 4);
  EXPECT_EQ(at(60, 0.2), 3);
}

TEST_F(ThresholdTest, StateSurvivesSaveAndRestore) {
  EXPECT_EQ(at(0, 0.9), 4);
  json state = policy->saveState();
  EXPECT_EQ(state["above_since"], 0);
  SetUp();
  ASSERT_TRUE(policy->restoreState(state).ok());
  EXPECT_EQ(at(60, 0.9), 6);
}

TEST_F(ThresholdTest, NoDataIsAnErrorAndRestartsTheClock) {
  EXPECT_EQ(at(0, 0.9), 4);
  metrics.clear("host_cpu");
  PolicyContext ctx = makeContext(metrics, 4, 4, 1, 20);
  ctx.now = 30;
  EXPECT_FALSE(policy->evaluate(ctx).ok());
  EXPECT_EQ(at(60, 0.9), 4);
}

TEST(ThresholdParamsTest, LowerMustBeBelowUpper) {
  auto p = makeBuiltinPolicy("threshold", {{"metric", "cpu"}, {"upper", 0.3}, {"lower", 0.5}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("threshold: lower must be below upper"), std::string::npos);
}

}  // namespace
}  // namespace tidegate::scale
