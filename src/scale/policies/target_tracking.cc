#include "scale/policies/target_tracking.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "scale/policies/number_text.h"
#include "scale/policies/rounding.h"
#include "scale/policy_params.h"

namespace tidegate::scale {
namespace {

enum class TargetType { kValue, kAverageValue, kUtilization };
enum class Select { kMax, kMin, kDisabled };

struct MetricTarget {
  std::string name;
  TargetType type = TargetType::kValue;
  double target = 1;
  metrics::Agg agg;
  std::chrono::seconds window{30};
};

struct RatePolicy {
  bool percent = false;  // Percent, else Pods
  int32_t value = 1;
  double period_s = 15;
};

struct Rules {
  double stabilization_s = 0;
  Select select = Select::kMax;
  std::vector<RatePolicy> policies;
};

struct Settings {
  std::vector<MetricTarget> metrics;
  double tolerance = 0.1;
  Rules up;
  Rules down;
};

constexpr std::string_view kTopKeys[] = {"metrics", "tolerance", "behavior"};
constexpr std::string_view kMetricKeys[] = {"name", "type", "target", "agg", "window"};
constexpr std::string_view kTypes[] = {"value", "average_value", "utilization"};
constexpr std::string_view kBehaviorKeys[] = {"scale_up", "scale_down"};
constexpr std::string_view kRulesKeys[] = {"stabilization_window", "select_policy", "policies"};
constexpr std::string_view kSelects[] = {"Max", "Min", "Disabled"};
constexpr std::string_view kRateKeys[] = {"type", "value", "period"};
constexpr std::string_view kRateTypes[] = {"Pods", "Percent"};

// The defaults of autoscaling/v2: up at once by 100% or 4 pods per 15 s (whichever is more),
// down after 300 s of lower recommendations by up to 100% per 15 s.
Rules readRules(PolicyParams p, bool up) {
  p.allowOnly(kRulesKeys);
  Rules r;
  r.stabilization_s = p.seconds("stabilization_window", up ? 0 : 300);
  std::string select = p.string("select_policy", "Max", kSelects);
  r.select = select == "Min"        ? Select::kMin
             : select == "Disabled" ? Select::kDisabled
                                    : Select::kMax;
  if (!p.has("policies")) {
    r.policies.push_back(RatePolicy{true, 100, 15});
    if (up) r.policies.push_back(RatePolicy{false, 4, 15});
    return r;
  }
  for (PolicyParams& rp : p.objects("policies")) {
    rp.allowOnly(kRateKeys);
    RatePolicy policy;
    policy.percent = rp.string("type", "Pods", kRateTypes) == "Percent";
    policy.value = int32_t(rp.integer("value", 1, 1, 100000));
    policy.period_s = rp.seconds("period", 15);
    if (policy.period_s <= 0) rp.problem("period", "must be longer than 0");
    r.policies.push_back(policy);
  }
  if (r.policies.empty() && r.select != Select::kDisabled) {
    p.problem("policies", "at least one is required (or select_policy: Disabled)");
  }
  return r;
}

Result<Settings> readSettings(const nlohmann::json& json) {
  PolicyParams p(json, "target_tracking");
  p.allowOnly(kTopKeys);
  Settings s;
  s.tolerance = p.number("tolerance", 0.1, 0, 1);
  for (PolicyParams& m : p.objects("metrics")) {
    m.allowOnly(kMetricKeys);
    MetricTarget t;
    t.name = m.required("name");
    std::string type = m.string("type", "value", kTypes);
    t.type = type == "average_value" ? TargetType::kAverageValue
             : type == "utilization" ? TargetType::kUtilization
                                     : TargetType::kValue;
    if (!m.has("target")) m.problem("target", "required");
    t.target = m.number("target", 1, 1e-9, 1e15);
    t.agg = m.agg("agg", "avg");
    t.window = std::chrono::seconds(std::max<int64_t>(1, std::llround(m.seconds("window", 30))));
    s.metrics.push_back(std::move(t));
  }
  if (s.metrics.empty()) p.problem("metrics", "at least one metric is required");
  PolicyParams behavior = p.object("behavior");
  behavior.allowOnly(kBehaviorKeys);
  s.up = readRules(behavior.object("scale_up"), true);
  s.down = readRules(behavior.object("scale_down"), false);
  auto done = p.finish();
  if (!done) return done.error();
  return s;
}

// One metric's proposal, or nullopt when it has no data. `why` says how it was reached.
struct Proposal {
  int32_t replicas;
  std::string why;
};

std::optional<Proposal> proposeFromValue(const MetricTarget& t, const PolicyContext& ctx,
                                         double tolerance, Decision& d) {
  std::optional<double> v = ctx.metrics->metric(t.name, t.agg, t.window);
  if (!v) return std::nullopt;
  d.inputs.emplace_back(t.name, *v);
  const int32_t current = ctx.replicas;
  if (t.type == TargetType::kAverageValue) {
    // GetExternalPerPodMetricReplicas: the total over target * current replicas.
    const double ratio = current > 0 ? *v / (t.target * current) : 2;
    if (current > 0 && std::abs(1.0 - ratio) <= tolerance) {
      return Proposal{current, t.name + " " + numberText(*v) + " within tolerance of " +
                                   numberText(t.target) + " x " + std::to_string(current)};
    }
    return Proposal{int32_t(ceilCount(*v / t.target)),
                    t.name + " " + numberText(*v) + " / average target " + numberText(t.target)};
  }
  const double ratio = *v / t.target;
  if (current == 0) return Proposal{int32_t(ceilCount(ratio)), t.name + " with no replicas"};
  if (std::abs(1.0 - ratio) <= tolerance) {
    return Proposal{current,
                    t.name + " " + numberText(*v) + " within tolerance of " + numberText(t.target)};
  }
  return Proposal{int32_t(ceilCount(ratio * ctx.ready)),
                  t.name + " " + numberText(*v) + " / target " + numberText(t.target) + " x " +
                      std::to_string(ctx.ready) + " ready"};
}

// The replica calculator for per-instance metrics (GetResourceReplicas, calcPlainMetricReplicas).
std::optional<Proposal> proposeFromInstances(const MetricTarget& t, const PolicyContext& ctx,
                                             double tolerance, Decision& d) {
  const int32_t current = ctx.replicas;
  std::vector<InstanceMetric> all = ctx.metrics->perInstance(t.name, t.agg, t.window);
  std::vector<double> values;  // ready instances with a value
  int unready = 0;
  int missing = 0;
  for (const InstanceMetric& m : all) {
    if (!m.value) {
      ++missing;
    } else if (!m.ready) {
      ++unready;
    } else {
      values.push_back(*m.value);
    }
  }
  if (values.empty()) return std::nullopt;
  auto ratioOf = [&](const std::vector<double>& vs) {
    double sum = 0;
    for (double v : vs)
      sum += v;
    return (sum / double(vs.size())) / t.target;
  };
  const double ratio = ratioOf(values);
  d.inputs.emplace_back(t.name, ratio * t.target);
  const std::string avg = t.name + " average " + numberText(ratio * t.target);
  const bool scale_up_with_unready = unready > 0 && ratio > 1.0;
  if (!scale_up_with_unready && missing == 0) {
    if (std::abs(1.0 - ratio) <= tolerance) {
      return Proposal{current, avg + " within tolerance of " + numberText(t.target)};
    }
    return Proposal{int32_t(ceilCount(ratio * double(values.size()))),
                    avg + " / target " + numberText(t.target) + " x " +
                        std::to_string(values.size()) + " ready"};
  }
  // Missing instances count as at target on a scale-down, as idle on a scale-up; not-ready
  // instances count as idle on a scale-up. Then the direction must not flip.
  std::vector<double> adjusted = values;
  if (missing > 0) {
    if (ratio < 1.0) adjusted.insert(adjusted.end(), size_t(missing), t.target);
    if (ratio > 1.0) adjusted.insert(adjusted.end(), size_t(missing), 0.0);
  }
  if (scale_up_with_unready) adjusted.insert(adjusted.end(), size_t(unready), 0.0);
  const double new_ratio = ratioOf(adjusted);
  const std::string counted =
      " (" + std::to_string(missing) + " missing, " + std::to_string(unready) + " not ready)";
  if (std::abs(1.0 - new_ratio) <= tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    return Proposal{current, avg + counted + ": too close to target or direction would flip"};
  }
  const int32_t proposed = int32_t(ceilCount(new_ratio * double(adjusted.size())));
  if ((new_ratio < 1.0 && proposed > current) || (new_ratio > 1.0 && proposed < current)) {
    return Proposal{current, avg + counted + ": instance count would flip the direction"};
  }
  return Proposal{proposed, avg + counted + " / target " + numberText(t.target)};
}

int32_t changeWithin(double period_s, const std::vector<PastScale>& events, bool up) {
  int32_t sum = 0;
  for (const PastScale& e : events) {
    if (e.age_s >= period_s) continue;
    const int32_t change = e.to - e.from;
    if (up && change > 0) sum += change;
    if (!up && change < 0) sum -= change;
  }
  return sum;
}

int32_t scaleUpLimit(int32_t current, const std::vector<PastScale>& events, const Rules& rules) {
  if (rules.select == Select::kDisabled) return current;
  int64_t result = rules.select == Select::kMin ? INT32_MAX : INT32_MIN;
  for (const RatePolicy& p : rules.policies) {
    const int32_t start =
        current - changeWithin(p.period_s, events, true) + changeWithin(p.period_s, events, false);
    const int64_t proposed =
        p.percent ? int64_t(ceilCount(start * (1 + p.value / 100.0))) : int64_t(start) + p.value;
    result = rules.select == Select::kMin ? std::min(result, proposed) : std::max(result, proposed);
  }
  return int32_t(std::clamp<int64_t>(result, INT32_MIN, INT32_MAX));
}

int32_t scaleDownLimit(int32_t current, const std::vector<PastScale>& events, const Rules& rules) {
  if (rules.select == Select::kDisabled) return current;
  int64_t result = rules.select == Select::kMin ? INT32_MIN : INT32_MAX;
  for (const RatePolicy& p : rules.policies) {
    const int32_t start =
        current - changeWithin(p.period_s, events, true) + changeWithin(p.period_s, events, false);
    const int64_t proposed =
        p.percent ? int64_t(floorCount(start * (1 - p.value / 100.0))) : int64_t(start) - p.value;
    result = rules.select == Select::kMin ? std::max(result, proposed) : std::min(result, proposed);
  }
  return int32_t(std::clamp<int64_t>(result, INT32_MIN, INT32_MAX));
}

class TargetTrackingPolicy final : public Policy {
 public:
  explicit TargetTrackingPolicy(Settings s) : s_(std::move(s)) {}

  const std::string& name() const override { return name_; }
  nlohmann::json saveState() const override { return nlohmann::json::object(); }
  Result<Ok> restoreState(const nlohmann::json&) override { return Ok{}; }

  Result<Decision> evaluate(const PolicyContext& ctx) override {
    Decision d;
    const int32_t current = ctx.replicas;
    // computeReplicasForMetrics: the largest proposal; missing metrics may not scale down.
    int32_t proposal = INT32_MIN;
    std::string why;
    size_t invalid = 0;
    std::string first_missing;
    for (const MetricTarget& t : s_.metrics) {
      std::optional<Proposal> p = t.type == TargetType::kUtilization
                                      ? proposeFromInstances(t, ctx, s_.tolerance, d)
                                      : proposeFromValue(t, ctx, s_.tolerance, d);
      if (!p) {
        if (invalid++ == 0) first_missing = t.name;
        continue;
      }
      if (p->replicas > proposal) {
        proposal = p->replicas;
        why = p->why;
      }
    }
    if (invalid == s_.metrics.size()) {
      return Error(ErrorSource::kUpstream, "target_tracking: no data for " + first_missing);
    }
    if (invalid > 0 && proposal < current) {
      return Error(ErrorSource::kUpstream, "target_tracking: no data for " + first_missing +
                                               " (not scaling down on partial metrics)");
    }
    d.recommendation = proposal;

    // stabilizeRecommendationWithBehaviors: the lowest recommendation of the up window and the
    // highest of the down window bound the change.
    int32_t up_rec = proposal;
    int32_t down_rec = proposal;
    for (const PastDecision& past : ctx.decisions) {
      if (past.age_s < s_.up.stabilization_s) up_rec = std::min(up_rec, past.recommendation);
      if (past.age_s < s_.down.stabilization_s) down_rec = std::max(down_rec, past.recommendation);
    }
    // Both windows include this proposal, so up_rec <= proposal <= down_rec.
    const int32_t stabilized = std::clamp(current, up_rec, down_rec);

    // convertDesiredReplicasWithBehaviorRate: rate limits, then [min, max].
    int32_t desired = stabilized;
    std::string limit;
    if (stabilized > current) {
      const int32_t up_limit = std::max(current, scaleUpLimit(current, ctx.scale_events, s_.up));
      const int32_t allowed = std::min(ctx.max, up_limit);
      if (desired > allowed) {
        desired = allowed;
        limit = allowed == ctx.max ? "max" : "scale-up rate";
      }
    } else if (stabilized < current) {
      const int32_t down_limit =
          std::min(current, scaleDownLimit(current, ctx.scale_events, s_.down));
      const int32_t allowed = std::max(ctx.min, down_limit);
      if (desired < allowed) {
        desired = allowed;
        limit = allowed == ctx.min ? "min" : "scale-down rate";
      }
    }
    desired = std::clamp(desired, ctx.min, std::max(ctx.min, ctx.max));
    d.desired = desired;
    d.reason = why + " -> " + std::to_string(proposal);
    if (stabilized != proposal) d.reason += ", stabilized to " + std::to_string(stabilized);
    if (!limit.empty()) d.reason += ", limited by " + limit + " to " + std::to_string(desired);
    return d;
  }

 private:
  Settings s_;
  std::string name_ = "target_tracking";
};

}  // namespace

Result<std::unique_ptr<Policy>> makeTargetTrackingPolicy(const nlohmann::json& params) {
  Result<Settings> s = readSettings(params);
  if (!s) return s.error();
  return std::unique_ptr<Policy>(new TargetTrackingPolicy(std::move(s.value())));
}

}  // namespace tidegate::scale
