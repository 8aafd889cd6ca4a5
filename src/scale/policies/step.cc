#include "scale/policies/step.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "scale/policies/number_text.h"
#include "scale/policies/rounding.h"
#include "scale/policy_params.h"

namespace tidegate::scale {
namespace {

enum class Adjustment { kChangeInCapacity, kPercentChangeInCapacity, kExactCapacity };

struct Step {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  double adjustment = 0;
};

struct Alarm {
  bool present = false;
  double threshold = 0;
  bool strict = false;  // > / < instead of >= / <=
  std::vector<Step> steps;
};

struct Settings {
  std::string metric;
  metrics::Agg agg;
  std::chrono::seconds window{60};
  Adjustment type = Adjustment::kChangeInCapacity;
  int32_t min_adjustment_magnitude = 0;
  double cooldown_s = 0;
  Alarm out;
  Alarm in;
};

constexpr std::string_view kTopKeys[] = {
    "metric",   "agg",       "window",  "adjustment_type", "min_adjustment_magnitude",
    "cooldown", "scale_out", "scale_in"};
constexpr std::string_view kAlarmKeys[] = {"threshold", "comparison", "steps"};
constexpr std::string_view kStepKeys[] = {"lower", "upper", "adjustment"};
constexpr std::string_view kTypes[] = {"ChangeInCapacity", "PercentChangeInCapacity",
                                       "ExactCapacity"};
constexpr std::string_view kOutComparisons[] = {">=", ">"};
constexpr std::string_view kInComparisons[] = {"<=", "<"};

Alarm readAlarm(PolicyParams a, bool out) {
  Alarm alarm;
  alarm.present = true;
  a.allowOnly(kAlarmKeys);
  if (!a.has("threshold")) a.problem("threshold", "required");
  alarm.threshold = a.number("threshold", 0, -1e15, 1e15);
  alarm.strict =
      a.string("comparison", out ? ">=" : "<=", out ? kOutComparisons : kInComparisons).size() == 1;
  for (PolicyParams& sp : a.objects("steps")) {
    sp.allowOnly(kStepKeys);
    Step step;
    if (auto lo = sp.optionalNumber("lower", -1e15, 1e15)) step.lower = *lo;
    if (auto hi = sp.optionalNumber("upper", -1e15, 1e15)) step.upper = *hi;
    if (!sp.has("adjustment")) sp.problem("adjustment", "required");
    step.adjustment = sp.number("adjustment", 0, -1e6, 1e6);
    if (!(step.lower < step.upper)) sp.problem("lower must be below upper");
    // Bounds are relative to the threshold: a breach above it is >= 0, below it <= 0.
    if (out && step.lower < 0) sp.problem("a scale_out step needs lower >= 0");
    if (!out && step.upper > 0) sp.problem("a scale_in step needs upper <= 0");
    alarm.steps.push_back(step);
  }
  if (alarm.steps.empty()) a.problem("steps", "at least one step is required");
  return alarm;
}

Result<Settings> readSettings(const nlohmann::json& json) {
  PolicyParams p(json, "step");
  p.allowOnly(kTopKeys);
  Settings s;
  s.metric = p.required("metric");
  s.agg = p.agg("agg", "avg");
  s.window = std::chrono::seconds(std::max<int64_t>(1, std::llround(p.seconds("window", 60))));
  std::string type = p.string("adjustment_type", "ChangeInCapacity", kTypes);
  s.type = type == "PercentChangeInCapacity" ? Adjustment::kPercentChangeInCapacity
           : type == "ExactCapacity"         ? Adjustment::kExactCapacity
                                             : Adjustment::kChangeInCapacity;
  s.min_adjustment_magnitude = int32_t(p.integer("min_adjustment_magnitude", 0, 0, 100000));
  if (s.min_adjustment_magnitude > 0 && s.type != Adjustment::kPercentChangeInCapacity) {
    p.problem("min_adjustment_magnitude", "applies only to PercentChangeInCapacity");
  }
  s.cooldown_s = p.seconds("cooldown", 0);
  if (p.has("scale_out")) s.out = readAlarm(p.object("scale_out"), true);
  if (p.has("scale_in")) s.in = readAlarm(p.object("scale_in"), false);
  if (!s.out.present && !s.in.present) p.problem("scale_out or scale_in is required");
  auto done = p.finish();
  if (!done) return done.error();
  return s;
}

class StepPolicy final : public Policy {
 public:
  explicit StepPolicy(Settings s) : s_(std::move(s)) {}

  const std::string& name() const override { return name_; }
  nlohmann::json saveState() const override { return nlohmann::json::object(); }
  Result<Ok> restoreState(const nlohmann::json&) override { return Ok{}; }

  Result<Decision> evaluate(const PolicyContext& ctx) override {
    Decision d;
    d.desired = ctx.replicas;
    std::optional<double> v = ctx.metrics->metric(s_.metric, s_.agg, s_.window);
    if (!v) return Error(ErrorSource::kUpstream, "step: no data for " + s_.metric);
    d.inputs.emplace_back(s_.metric, *v);
    const Alarm* alarm = nullptr;
    if (s_.out.present && (s_.out.strict ? *v > s_.out.threshold : *v >= s_.out.threshold)) {
      alarm = &s_.out;  // both alarms breached (overlapping thresholds): scaling out wins
    } else if (s_.in.present && (s_.in.strict ? *v < s_.in.threshold : *v <= s_.in.threshold)) {
      alarm = &s_.in;
    }
    if (alarm == nullptr) {
      d.reason = s_.metric + " " + numberText(*v) + ": no alarm";
      d.recommendation = d.desired;
      return d;
    }
    const bool out = alarm == &s_.out;
    if (ctx.since_last_scale < s_.cooldown_s) {
      d.reason = s_.metric + " " + numberText(*v) + ": alarm, but in cooldown (" +
                 numberText(ctx.since_last_scale) + "s of " + numberText(s_.cooldown_s) + "s)";
      d.recommendation = d.desired;
      return d;
    }
    // Above the threshold the lower bound is inclusive, below it the upper bound is.
    const double diff = *v - alarm->threshold;
    const Step* step = nullptr;
    for (const Step& st : alarm->steps) {
      if (out ? (diff >= st.lower && diff < st.upper) : (diff > st.lower && diff <= st.upper)) {
        step = &st;
        break;
      }
    }
    const std::string breach = s_.metric + " " + numberText(*v) + (out ? " above " : " below ") +
                               numberText(alarm->threshold);
    if (step == nullptr) {
      d.reason = breach + ": no step covers it";
      d.recommendation = d.desired;
      return d;
    }
    d.desired = apply(ctx.replicas, step->adjustment);
    d.recommendation = d.desired;
    d.reason =
        breach + ": step " + numberText(step->adjustment) + " -> " + std::to_string(d.desired);
    return d;
  }

 private:
  int32_t apply(int32_t current, double adjustment) const {
    switch (s_.type) {
      case Adjustment::kExactCapacity:
        return int32_t(adjustment);
      case Adjustment::kChangeInCapacity:
        return current + int32_t(adjustment);
      case Adjustment::kPercentChangeInCapacity: {
        // AWS rounding: towards zero, but a fraction of one instance still moves one.
        const double raw = current * adjustment / 100.0;
        int32_t change = raw > 0 && raw < 1    ? 1
                         : raw < 0 && raw > -1 ? -1
                                               : int32_t(truncCount(raw));
        if (change != 0 && std::abs(change) < s_.min_adjustment_magnitude) {
          change = change > 0 ? s_.min_adjustment_magnitude : -s_.min_adjustment_magnitude;
        }
        return current + change;
      }
    }
    return current;
  }

  Settings s_;
  std::string name_ = "step";
};

}  // namespace

Result<std::unique_ptr<Policy>> makeStepPolicy(const nlohmann::json& params) {
  Result<Settings> s = readSettings(params);
  if (!s) return s.error();
  return std::unique_ptr<Policy>(new StepPolicy(std::move(s.value())));
}

}  // namespace tidegate::scale
