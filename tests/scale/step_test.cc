// step against the AWS EC2 Auto Scaling user guide, "Step and simple scaling policies": the
// example scale-out and scale-in policies (threshold 50, steps at 10 and 20 from it, in percent
// change in capacity) and the walk-through 10 -> 11 -> 14 -> 13 -> 10.

#include <gtest/gtest.h>

#include "fake_metric_source.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

json docsPolicy(const std::string& type = "PercentChangeInCapacity") {
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

int decide(const json& params, int current, double value, double since_last_scale = 1e9) {
  auto policy = makeBuiltinPolicy("step", params);
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message());
  if (!policy.ok()) return -1;
  FakeMetricSource m;
  m.set("cpu_percent", value);
  PolicyContext ctx = makeContext(m, current, current, 1, 100);
  ctx.since_last_scale = since_last_scale;
  auto d = policy.value()->evaluate(ctx);
  EXPECT_TRUE(d.ok());
  return d.ok() ? d.value().desired : -1;
}

TEST(StepPolicyTest, DocsWalkThrough) {
  // "If the metric value gets to 60 ... increases the desired capacity by 1 (10% of 10)"
  EXPECT_EQ(decide(docsPolicy(), 10, 60), 11);
  // "If the metric value rises to 70 ... by another 3 instances (30% of 11 = 3.3, rounded down)"
  EXPECT_EQ(decide(docsPolicy(), 11, 70), 14);
  // "If the metric value falls to 40 ... decreases by 1 (10% of 14 = 1.4, rounded down)"
  EXPECT_EQ(decide(docsPolicy(), 14, 40), 13);
  // "If the metric value falls to 30 ... by another 3 (30% of 13 = 3.9, rounded down)"
  EXPECT_EQ(decide(docsPolicy(), 13, 30), 10);
}

TEST(StepPolicyTest, BoundsInclusiveOnTheThresholdSide) {
  // Above: lower inclusive, upper exclusive. Below: lower exclusive, upper inclusive.
  EXPECT_EQ(decide(docsPolicy("ChangeInCapacity"), 10, 59.9), 10);  // [0, 10): 0
  EXPECT_EQ(decide(docsPolicy("ChangeInCapacity"), 10, 50), 10);
  EXPECT_EQ(decide(docsPolicy("ChangeInCapacity"), 10, 60), 20);    // [10, 20): +10
  EXPECT_EQ(decide(docsPolicy("ChangeInCapacity"), 20, 40), 10);    // (-20, -10]: -10
  EXPECT_EQ(decide(docsPolicy("ChangeInCapacity"), 20, 40.1), 20);  // (-10, 0]: 0
}

TEST(StepPolicyTest, ExactCapacity) {
  EXPECT_EQ(decide(docsPolicy("ExactCapacity"), 3, 75), 30);
}

TEST(StepPolicyTest, PercentRoundingAndMinAdjustmentMagnitude) {
  // A fraction of one instance still moves one: 10% of 2 is 0.2 -> +1.
  EXPECT_EQ(decide(docsPolicy(), 2, 65), 3);
  EXPECT_EQ(decide(docsPolicy(), 2, 35), 1);
  json p = docsPolicy();
  p["min_adjustment_magnitude"] = 2;
  EXPECT_EQ(decide(p, 4, 65), 6);
  EXPECT_EQ(decide(p, 40, 65), 44) << "10% of 40 is already more than 2";
}

TEST(StepPolicyTest, CooldownHoldsTheCount) {
  json p = docsPolicy();
  p["cooldown"] = "60s";
  EXPECT_EQ(decide(p, 10, 75, 30), 10);
  EXPECT_EQ(decide(p, 10, 75, 60), 13);
}

TEST(StepPolicyTest, NoDataIsAnError) {
  auto policy = makeBuiltinPolicy("step", docsPolicy());
  ASSERT_TRUE(policy.ok());
  FakeMetricSource m;
  EXPECT_FALSE(policy.value()->evaluate(makeContext(m, 2, 2, 1, 10)).ok());
}

TEST(StepPolicyTest, BadStepsAreRefused) {
  json p = docsPolicy();
  p["scale_out"]["steps"][0]["lower"] = -5;
  p["scale_in"]["steps"][2]["adjustment"] = "lots";
  p["min_adjustment_magnitude"] = 1;
  p["adjustment_type"] = "ChangeInCapacity";
  auto bad = makeBuiltinPolicy("step", p);
  ASSERT_FALSE(bad.ok());
  const std::string& msg = bad.error().message();
  EXPECT_NE(msg.find("step.scale_out.steps[0]: a scale_out step needs lower >= 0"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("step.scale_in.steps[2].adjustment: expected a number"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("step.min_adjustment_magnitude: applies only to PercentChangeInCapacity"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace tidegate::scale
