// target_tracking against the Kubernetes HPA documentation ("Algorithm details", "Configurable
// scaling behavior") and the replica calculator's handling of missing and not-ready pods
// (pkg/controller/podautoscaler/replica_calculator.go).

#include <gtest/gtest.h>

#include "fake_metric_source.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

std::unique_ptr<Policy> make(const json& params) {
  auto p = makeBuiltinPolicy("target_tracking", params);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message());
  return p.ok() ? std::move(p.value()) : nullptr;
}

// Scale-down stabilization off, so the formula shows through unless a test wants it.
json cpu(double target, json extra = json::object()) {
  json p = {{"metrics", {{{"name", "cpu"}, {"type", "utilization"}, {"target", target}}}},
            {"behavior", {{"scale_down", {{"stabilization_window", 0}}}}}};
  p.update(extra);
  return p;
}

int desired(Policy& p, const PolicyContext& ctx) {
  auto d = p.evaluate(ctx);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message());
  return d.ok() ? d.value().desired : -1;
}

void readyInstances(FakeMetricSource& m, int n, double value) {
  for (int i = 0; i < n; ++i) {
    std::string id = "i";
    id += std::to_string(i);
    m.setInstance("cpu", id, true, value);
  }
}

TEST(TargetTrackingTest, DocsDoubleWhenTwiceTheTarget) {
  // "if the current metric value is 200m, and the desired value is 100m, the number of
  // replicas will be doubled"
  FakeMetricSource m;
  readyInstances(m, 3, 0.2);
  EXPECT_EQ(desired(*make(cpu(0.1)), makeContext(m, 3, 3, 1, 20)), 6);
}

TEST(TargetTrackingTest, DocsHalveWhenHalfTheTarget) {
  FakeMetricSource m;
  readyInstances(m, 4, 0.05);
  EXPECT_EQ(desired(*make(cpu(0.1)), makeContext(m, 4, 4, 1, 20)), 2);
}

TEST(TargetTrackingTest, TenPercentTolerance) {
  FakeMetricSource m;
  readyInstances(m, 10, 0.525);  // ratio 1.05: within 10%
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 10, 10, 1, 50)), 10);
  readyInstances(m, 10, 0.575);  // ratio 1.15: ceil(11.5)
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 10, 10, 1, 50)), 12);
  readyInstances(m, 10, 0.525);
  EXPECT_EQ(desired(*make(cpu(0.5, {{"tolerance", 0.01}})), makeContext(m, 10, 10, 1, 50)), 11);
}

TEST(TargetTrackingTest, ClampedToMinAndMax) {
  FakeMetricSource m;
  readyInstances(m, 4, 1.0);
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 4, 4, 1, 5)), 5);
  readyInstances(m, 4, 0.05);
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 4, 4, 3, 10)), 3);
}

TEST(TargetTrackingTest, SeveralMetricsTakeTheLargestProposal) {
  FakeMetricSource m;
  readyInstances(m, 2, 0.9);  // cpu: ceil(2 * 0.9 / 0.6) = 3
  m.set("rps", 500);          // rps average 100 per replica: ceil(500 / 100) = 5
  json p = cpu(0.6);
  p["metrics"].push_back({{"name", "rps"}, {"type", "average_value"}, {"target", 100}});
  auto d = make(p)->evaluate(makeContext(m, 2, 2, 1, 20));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().desired, 5) << "the default scale-up rate allows max(2 + 4, 2 * 2) = 6";
  EXPECT_EQ(d.value().recommendation, 5);
  EXPECT_NE(d.value().reason.find("rps"), std::string::npos) << d.value().reason;
}

TEST(TargetTrackingTest, ValueAndAverageValueTargets) {
  FakeMetricSource m;
  m.set("inflight", 30);  // value: ratio 3 x 2 ready
  json value = {{"metrics", {{{"name", "inflight"}, {"target", 10}}}}};
  EXPECT_EQ(make(value)->evaluate(makeContext(m, 2, 2, 1, 20)).value().recommendation, 6);
  m.set("rps", 450);  // average_value: 450 / (100 x 3) = 1.5 -> ceil(450 / 100)
  json avg = {{"metrics", {{{"name", "rps"}, {"type", "average_value"}, {"target", 100}}}}};
  EXPECT_EQ(make(avg)->evaluate(makeContext(m, 3, 3, 1, 20)).value().recommendation, 5);
  m.set("rps", 310);  // 310 / 300: within tolerance
  EXPECT_EQ(make(avg)->evaluate(makeContext(m, 3, 3, 1, 20)).value().recommendation, 3);
}

TEST(TargetTrackingTest, NotReadyCountAsIdleOnScaleUp) {
  // replica_calculator_test TestReplicaCalcScaleUpUnreadyLessScale: readiness [F, T, T], usage
  // [30%, 50%, 70%], target 30%: ready average 60% (ratio 2); with the unready one at 0%, 40%
  // (ratio 1.33) -> ceil(1.33 x 3) = 4.
  FakeMetricSource m;
  m.setInstance("cpu", "a", false, 0.3);
  m.setInstance("cpu", "b", true, 0.5);
  m.setInstance("cpu", "c", true, 0.7);
  auto d = make(cpu(0.3))->evaluate(makeContext(m, 3, 2, 1, 20));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().recommendation, 4);
}

TEST(TargetTrackingTest, NotReadyFlippingTheDirectionKeepsTheCount) {
  // TestReplicaCalcScaleUpUnreadyNoScale: readiness [T, F, F], usage [40%, 50%, 70%], target
  // 30%: ready says up (1.33), counting the unready at 0% says down (0.44): no change.
  FakeMetricSource m;
  m.setInstance("cpu", "a", true, 0.4);
  m.setInstance("cpu", "b", false, 0.5);
  m.setInstance("cpu", "c", false, 0.7);
  EXPECT_EQ(desired(*make(cpu(0.3)), makeContext(m, 3, 1, 1, 20)), 3);
}

TEST(TargetTrackingTest, MissingCountAsAtTargetOnScaleDown) {
  FakeMetricSource m;
  readyInstances(m, 3, 0.2);  // ratio 0.4; without the missing one: ceil(0.4 x 3) = 2
  m.setInstance("cpu", "missing", true, std::nullopt);
  // (0.6 + 0.5) / 4 = 0.275 -> ratio 0.55 -> ceil(0.55 x 4) = 3
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 4, 4, 1, 20)), 3);
}

TEST(TargetTrackingTest, MissingCountAsIdleOnScaleUp) {
  FakeMetricSource m;
  readyInstances(m, 3, 1.0);  // ratio 2
  m.setInstance("cpu", "missing", true, std::nullopt);
  // 3.0 / 4 = 0.75 -> ratio 1.5 -> ceil(1.5 x 4) = 6
  auto d = make(cpu(0.5))->evaluate(makeContext(m, 4, 4, 1, 20));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().recommendation, 6);
}

TEST(TargetTrackingTest, MissingPullingIntoToleranceKeepsTheCount) {
  FakeMetricSource m;
  m.setInstance("cpu", "a", true, 0.4);  // ratio 0.8
  m.setInstance("cpu", "b", true, std::nullopt);
  // (0.4 + 0.5) / 2 = 0.45 -> ratio 0.9: within tolerance
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 2, 2, 1, 20)), 2);
}

TEST(TargetTrackingTest, NoDataIsAnErrorAndPartialDataNeverScalesDown) {
  FakeMetricSource m;
  json p = cpu(0.5);
  p["metrics"].push_back({{"name", "rps"}, {"type", "average_value"}, {"target", 100}});
  EXPECT_FALSE(make(p)->evaluate(makeContext(m, 4, 4, 1, 20)).ok());
  readyInstances(m, 4, 0.1);  // cpu says 1, rps has no data
  auto down = make(p)->evaluate(makeContext(m, 4, 4, 1, 20));
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.error().message().find("not scaling down"), std::string::npos);
  readyInstances(m, 4, 1.0);  // cpu says up: allowed
  EXPECT_TRUE(make(p)->evaluate(makeContext(m, 4, 4, 1, 20)).ok());
}

TEST(TargetTrackingTest, ScaleDownStabilizationUsesTheHighestRecentRecommendation) {
  FakeMetricSource m;
  readyInstances(m, 8, 0.25);  // proposes 4
  json p = {{"metrics", {{{"name", "cpu"}, {"type", "utilization"}, {"target", 0.5}}}}};
  PolicyContext ctx = makeContext(m, 8, 8, 1, 20);
  ctx.decisions = {{100, 8, 8, 8, ""}, {200, 8, 8, 6, ""}};
  EXPECT_EQ(desired(*make(p), ctx), 8) << "a recommendation of 8 within the default 300 s";
  ctx.decisions = {{100, 8, 8, 6, ""}, {301, 8, 8, 8, ""}};
  EXPECT_EQ(desired(*make(p), ctx), 6);
  ctx.decisions = {{301, 8, 8, 8, ""}};
  EXPECT_EQ(desired(*make(p), ctx), 4);
}

TEST(TargetTrackingTest, ScaleUpStabilizationUsesTheLowestRecentRecommendation) {
  FakeMetricSource m;
  readyInstances(m, 4, 1.0);  // proposes 8
  json p = cpu(0.5, {{"behavior",
                      {{"scale_up", {{"stabilization_window", "60s"}}},
                       {"scale_down", {{"stabilization_window", 0}}}}}});
  PolicyContext ctx = makeContext(m, 4, 4, 1, 20);
  ctx.decisions = {{30, 4, 4, 3, ""}};
  EXPECT_EQ(desired(*make(p), ctx), 4);
  ctx.decisions = {{30, 4, 4, 6, ""}};
  EXPECT_EQ(desired(*make(p), ctx), 6);
}

TEST(TargetTrackingTest, DocsScaleUpPercentPolicy) {
  // "type: Percent, value: 900, periodSeconds: 60 ... 1 -> 10 -> 100 -> 1000"
  FakeMetricSource m;
  readyInstances(m, 1, 1000.0);
  json p = cpu(
      0.5,
      {{"behavior",
        {{"scale_up", {{"policies", {{{"type", "Percent"}, {"value", 900}, {"period", 60}}}}}}}}});
  EXPECT_EQ(desired(*make(p), makeContext(m, 1, 1, 1, 10000)), 10);
  readyInstances(m, 10, 1000.0);
  EXPECT_EQ(desired(*make(p), makeContext(m, 10, 10, 1, 10000)), 100);
}

TEST(TargetTrackingTest, DefaultScaleUpRateIsFourPodsOrDoubleEvery15s) {
  FakeMetricSource m;
  readyInstances(m, 2, 5.0);  // wants 20
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 2, 2, 1, 100)), 6);
  readyInstances(m, 10, 1.0);  // wants 20: doubling allows 20
  EXPECT_EQ(desired(*make(cpu(0.5)), makeContext(m, 10, 10, 1, 100)), 20);
}

json docsScaleDown(const std::string& select) {
  // "policies: [{type: Pods, value: 4, periodSeconds: 60}, {type: Percent, value: 10,
  // periodSeconds: 60}]"
  return cpu(0.5, {{"behavior",
                    {{"scale_down",
                      {{"stabilization_window", 0},
                       {"select_policy", select},
                       {"policies",
                        {{{"type", "Pods"}, {"value", 4}, {"period", 60}},
                         {{"type", "Percent"}, {"value", 10}, {"period", 60}}}}}}}}});
}

TEST(TargetTrackingTest, DocsScaleDownPoliciesSelectMax) {
  // "when the number of replicas is more than 40, the second policy is applied": 80 -> 72.
  FakeMetricSource m;
  readyInstances(m, 80, 0.01);
  EXPECT_EQ(desired(*make(docsScaleDown("Max")), makeContext(m, 80, 80, 1, 100)), 72);
  // Within the same 60 s period after removing 8, the period started at 80: no further change.
  PolicyContext ctx = makeContext(m, 72, 72, 1, 100);
  ctx.scale_events = {{10, 80, 72}};
  EXPECT_EQ(desired(*make(docsScaleDown("Max")), ctx), 72);
  // A period later: 10% of 72 is 7.2, 72 - 7.2 = 64.8 -> 64.
  ctx.scale_events = {{61, 80, 72}};
  EXPECT_EQ(desired(*make(docsScaleDown("Max")), ctx), 64);
}

TEST(TargetTrackingTest, DocsScaleDownSelectMinAndDisabled) {
  FakeMetricSource m;
  readyInstances(m, 80, 0.01);
  EXPECT_EQ(desired(*make(docsScaleDown("Min")), makeContext(m, 80, 80, 1, 100)), 76);
  EXPECT_EQ(desired(*make(docsScaleDown("Disabled")), makeContext(m, 80, 80, 1, 100)), 80);
}

TEST(TargetTrackingTest, BadParametersNameTheField) {
  auto bad = makeBuiltinPolicy(
      "target_tracking", {{"metrics", {{{"name", "cpu"}, {"type", "percent"}}}}, {"behaviour", 1}});
  ASSERT_FALSE(bad.ok());
  const std::string& msg = bad.error().message();
  EXPECT_NE(msg.find("target_tracking.metrics[0].type: expected one of value, average_value, "
                     "utilization, got 'percent'"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("target_tracking.metrics[0].target: required"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown parameter 'behaviour'"), std::string::npos) << msg;
  EXPECT_FALSE(makeBuiltinPolicy("target_tracking", json::object()).ok());
}

}  // namespace
}  // namespace tidegate::scale
