#pragma once
// Policy: decides how many instances a pool should run, from a context of current counts,
// metrics and history. The built-ins (policies/) and Lua policies (lua_policy.h) implement it;
// the Autoscaler calls evaluate() once per tick and clamps, cools down and acts on the answer.
// Control thread only. A policy keeps what it must remember between calls in its own state.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "scale/metric_source.h"

namespace tidegate::scale {

// One earlier evaluation, as the engine recorded it (newest first in PolicyContext).
struct PastDecision {
  double age_s = 0;            // seconds before `now`
  int32_t current = 0;         // replicas when it was made
  int32_t desired = 0;         // what the policy answered
  int32_t recommendation = 0;  // its raw recommendation (HPA: before stabilization and rates)
  std::string reason;
};

// One scale action the engine took (newest first).
struct PastScale {
  double age_s = 0;
  int32_t from = 0;
  int32_t to = 0;
};

struct PolicyContext {
  int32_t replicas = 0;  // current: the count the engine last asked the provider for
  int32_t ready = 0;     // serving instances
  int32_t min = 1;
  int32_t max = 1;
  double now = 0;                 // seconds on the engine's clock (only differences matter)
  double since_last_scale = 1e9;  // seconds since the last scale action (1e9: never)
  std::vector<PastDecision> decisions;
  std::vector<PastScale> scale_events;
  const MetricSource* metrics = nullptr;  // never null during evaluate()
};

struct Decision {
  int32_t desired = 0;
  // The policy's raw recommendation, kept in the history for policies that stabilize over it
  // (target_tracking); equal to `desired` for the others.
  int32_t recommendation = 0;
  std::string reason;
  std::vector<std::pair<std::string, double>> inputs;  // metric values it used, by name
};

class Policy {
 public:
  virtual ~Policy() = default;
  // "target_tracking", "step", ..., or the Lua file / inline name.
  virtual const std::string& name() const = 0;
  // One decision. An error (bad metric data, a failing Lua script) keeps the current count.
  virtual Result<Decision> evaluate(const PolicyContext& ctx) = 0;
  // What the policy remembers between calls, as JSON (`tidegate policy eval` shows and
  // restores it); an object, empty for stateless policies.
  virtual nlohmann::json saveState() const = 0;
  virtual Result<Ok> restoreState(const nlohmann::json& state) = 0;
};

}  // namespace tidegate::scale
