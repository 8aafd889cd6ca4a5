#include "scale/policies/concurrency.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "scale/policies/number_text.h"
#include "scale/policies/rounding.h"
#include "scale/policy_params.h"

namespace tidegate::scale {
namespace {

struct Settings {
  std::string metric = "inflight";
  double target = 10;
  double utilization = 0.7;
  double stable_s = 60;
  double panic_s = 6;
  double panic_threshold = 2.0;
  double max_up_rate = 1000;
  double max_down_rate = 2;
};

constexpr std::string_view kKeys[] = {
    "metric",       "target",          "target_utilization", "stable_window",
    "panic_window", "panic_threshold", "max_scale_up_rate",  "max_scale_down_rate"};

Result<Settings> readSettings(const nlohmann::json& json) {
  PolicyParams p(json, "concurrency");
  p.allowOnly(kKeys);
  Settings s;
  s.metric = p.string("metric", "inflight");
  s.target = p.number("target", 10, 0.01, 1e9);
  s.utilization = p.number("target_utilization", 0.7, 0.01, 1);
  s.stable_s = p.seconds("stable_window", 60);
  s.panic_s = p.seconds("panic_window", 6);
  s.panic_threshold = p.number("panic_threshold", 2.0, 1.0, 1000);
  s.max_up_rate = p.number("max_scale_up_rate", 1000, 1.0, 1e9);
  s.max_down_rate = p.number("max_scale_down_rate", 2, 1.0, 1e9);
  if (s.stable_s < 1) p.problem("stable_window", "must be at least 1s");
  if (s.panic_s < 1 || s.panic_s > s.stable_s) {
    p.problem("panic_window", "must be from 1s to the stable window");
  }
  auto done = p.finish();
  if (!done) return done.error();
  return s;
}

std::chrono::seconds wholeSeconds(double s) {
  return std::chrono::seconds(std::max<int64_t>(1, std::llround(s)));
}

class ConcurrencyPolicy final : public Policy {
 public:
  explicit ConcurrencyPolicy(Settings s) : s_(std::move(s)) {}

  const std::string& name() const override { return name_; }

  nlohmann::json saveState() const override {
    nlohmann::json j = nlohmann::json::object();
    if (panic_since_) j["panic_since"] = *panic_since_;
    if (max_panic_pods_ > 0) j["max_panic_pods"] = max_panic_pods_;
    return j;
  }
  Result<Ok> restoreState(const nlohmann::json& state) override {
    panic_since_.reset();
    max_panic_pods_ = 0;
    if (!state.is_object())
      return Error(ErrorSource::kConfig, "concurrency: state must be an object");
    auto since = state.find("panic_since");
    if (since != state.end() && !since->is_null()) {
      if (!since->is_number())
        return Error(ErrorSource::kConfig, "concurrency: state.panic_since must be a number");
      panic_since_ = since->get<double>();
    }
    auto pods = state.find("max_panic_pods");
    if (pods != state.end() && !pods->is_null()) {
      if (!pods->is_number())
        return Error(ErrorSource::kConfig, "concurrency: state.max_panic_pods must be a number");
      max_panic_pods_ = int32_t(pods->get<double>());
    }
    return Ok{};
  }

  // Knative's autoscaler.Scale, with the pool's in-flight average as observed concurrency.
  Result<Decision> evaluate(const PolicyContext& ctx) override {
    const metrics::Agg avg = metrics::Agg::of(metrics::Agg::Kind::kAvg);
    std::optional<double> stable = ctx.metrics->metric(s_.metric, avg, wholeSeconds(s_.stable_s));
    std::optional<double> panic = ctx.metrics->metric(s_.metric, avg, wholeSeconds(s_.panic_s));
    if (!stable || !panic) {
      return Error(ErrorSource::kUpstream, "concurrency: no data for " + s_.metric);
    }
    Decision d;
    d.inputs.emplace_back(s_.metric + " stable", *stable);
    d.inputs.emplace_back(s_.metric + " panic", *panic);
    const double target = s_.target * s_.utilization;
    const double ready = std::max(1.0, double(ctx.ready));
    const double max_up = ceilCount(s_.max_up_rate * ready);
    const double max_down = floorCount(ready / s_.max_down_rate);
    const double dspc = ceilCount(*stable / target);
    const double dppc = ceilCount(*panic / target);
    const int32_t stable_pods = int32_t(std::min(std::max(dspc, max_down), max_up));
    const int32_t panic_pods = int32_t(std::min(std::max(dppc, max_down), max_up));
    const bool over = dppc / ready >= s_.panic_threshold;
    if (over) {
      panic_since_ = ctx.now;  // start panicking, or extend it
    } else if (panic_since_ && *panic_since_ + s_.stable_s < ctx.now) {
      // The surge has made its way into the stable window.
      panic_since_.reset();
      max_panic_pods_ = 0;
    }
    int32_t desired = stable_pods;
    d.reason = "stable " + s_.metric + " " + numberText(*stable) + " / " + numberText(target) +
               " -> " + std::to_string(stable_pods);
    if (panic_since_) {
      desired = std::max(desired, panic_pods);
      if (desired > max_panic_pods_) {
        max_panic_pods_ = desired;
      } else if (desired < max_panic_pods_) {
        desired = max_panic_pods_;  // no scale-down while panicking
      }
      d.reason = "panic: " + s_.metric + " " + numberText(*panic) + " over " +
                 numberText(s_.panic_s) + "s / " + numberText(target) + " -> " +
                 std::to_string(panic_pods) + " (" + d.reason + "), holding " +
                 std::to_string(desired);
    }
    d.desired = desired;
    d.recommendation = desired;
    return d;
  }

 private:
  Settings s_;
  std::string name_ = "concurrency";
  std::optional<double> panic_since_;  // ctx.now when last over the panic threshold
  int32_t max_panic_pods_ = 0;
};

}  // namespace

Result<std::unique_ptr<Policy>> makeConcurrencyPolicy(const nlohmann::json& params) {
  Result<Settings> s = readSettings(params);
  if (!s) return s.error();
  return std::unique_ptr<Policy>(new ConcurrencyPolicy(std::move(s.value())));
}

}  // namespace tidegate::scale
