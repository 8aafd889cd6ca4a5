#include "scale/policies/threshold.h"

#include <cmath>
#include <cstdio>

#include "scale/policies/number_text.h"
#include "scale/policy_params.h"

namespace tidegate::scale {
namespace {

struct Settings {
  std::string metric;
  metrics::Agg agg;
  std::chrono::seconds window{60};
  std::optional<double> upper;
  std::optional<double> lower;
  double duration_s = 60;
  int32_t out_by = 1;
  int32_t in_by = 1;
};

constexpr std::string_view kKeys[] = {"metric", "agg",      "window",       "upper",
                                      "lower",  "duration", "scale_out_by", "scale_in_by"};

Result<Settings> readSettings(const nlohmann::json& json) {
  PolicyParams p(json, "threshold");
  p.allowOnly(kKeys);
  Settings s;
  s.metric = p.required("metric");
  s.agg = p.agg("agg", "avg");
  s.window = std::chrono::seconds(std::max<int64_t>(1, std::llround(p.seconds("window", 60))));
  s.upper = p.optionalNumber("upper", -1e15, 1e15);
  s.lower = p.optionalNumber("lower", -1e15, 1e15);
  s.duration_s = p.seconds("duration", 60);
  s.out_by = int32_t(p.integer("scale_out_by", 1, 1, 1000));
  s.in_by = int32_t(p.integer("scale_in_by", 1, 1, 1000));
  if (!s.upper && !s.lower) p.problem("upper or lower is required");
  if (s.upper && s.lower && !(*s.lower < *s.upper)) {
    p.problem("lower must be below upper (or the rule would flap)");
  }
  auto done = p.finish();
  if (!done) return done.error();
  return s;
}

class ThresholdPolicy final : public Policy {
 public:
  explicit ThresholdPolicy(Settings s) : s_(std::move(s)) {}

  const std::string& name() const override { return name_; }

  nlohmann::json saveState() const override {
    nlohmann::json j = nlohmann::json::object();
    if (above_since_) j["above_since"] = *above_since_;
    if (below_since_) j["below_since"] = *below_since_;
    return j;
  }
  Result<Ok> restoreState(const nlohmann::json& state) override {
    above_since_.reset();
    below_since_.reset();
    if (!state.is_object())
      return Error(ErrorSource::kConfig, "threshold: state must be an object");
    for (const char* key : {"above_since", "below_since"}) {
      auto it = state.find(key);
      if (it == state.end() || it->is_null()) continue;
      if (!it->is_number())
        return Error(ErrorSource::kConfig,
                     std::string("threshold: state.") + key + " must be a number");
      (key[0] == 'a' ? above_since_ : below_since_) = it->get<double>();
    }
    return Ok{};
  }

  Result<Decision> evaluate(const PolicyContext& ctx) override {
    Decision d;
    d.desired = ctx.replicas;
    std::optional<double> v = ctx.metrics->metric(s_.metric, s_.agg, s_.window);
    if (!v) {
      above_since_.reset();
      below_since_.reset();
      return Error(ErrorSource::kUpstream, "threshold: no data for " + s_.metric);
    }
    d.inputs.emplace_back(s_.metric, *v);
    const std::string what = s_.metric + " " + numberText(*v);
    if (s_.upper && *v > *s_.upper) {
      below_since_.reset();
      if (!above_since_) above_since_ = ctx.now;
      const double held = ctx.now - *above_since_;
      if (held >= s_.duration_s) {
        d.desired = ctx.replicas + s_.out_by;
        above_since_ = ctx.now;  // the next step needs another full duration above
        d.reason = what + " above " + numberText(*s_.upper) + " for " + numberText(held) + "s: +" +
                   std::to_string(s_.out_by);
      } else {
        d.reason = what + " above " + numberText(*s_.upper) + " for " + numberText(held) + "s of " +
                   numberText(s_.duration_s) + "s";
      }
    } else if (s_.lower && *v < *s_.lower) {
      above_since_.reset();
      if (!below_since_) below_since_ = ctx.now;
      const double held = ctx.now - *below_since_;
      if (held >= s_.duration_s) {
        d.desired = ctx.replicas - s_.in_by;
        below_since_ = ctx.now;
        d.reason = what + " below " + numberText(*s_.lower) + " for " + numberText(held) + "s: -" +
                   std::to_string(s_.in_by);
      } else {
        d.reason = what + " below " + numberText(*s_.lower) + " for " + numberText(held) + "s of " +
                   numberText(s_.duration_s) + "s";
      }
    } else {
      above_since_.reset();
      below_since_.reset();
      d.reason = what + " within bounds";
    }
    d.recommendation = d.desired;
    return d;
  }

 private:
  Settings s_;
  std::string name_ = "threshold";
  std::optional<double> above_since_;  // ctx.now when the metric went (or last fired) above
  std::optional<double> below_since_;
};

}  // namespace

Result<std::unique_ptr<Policy>> makeThresholdPolicy(const nlohmann::json& params) {
  Result<Settings> s = readSettings(params);
  if (!s) return s.error();
  return std::unique_ptr<Policy>(new ThresholdPolicy(std::move(s.value())));
}

}  // namespace tidegate::scale
