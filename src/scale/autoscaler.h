#pragma once
// Autoscaler: the engine of one scaled pool. On each tick it builds the policy's context
// (counts, history, metrics), evaluates the policy, clamps the answer to [min, max], holds it
// during the up/down cooldowns, and asks the provider for the new count unless dry_run is set.
// Everything it decides and does goes to the EventLog. Control thread only: the server calls
// tick() every `scale.interval` and forwards the provider's events to onProviderEvent().

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "config/scale_schema.h"
#include "scale/event_log.h"
#include "scale/metric_source.h"
#include "scale/policy.h"
#include "scale/provider.h"

namespace tidegate::scale {

struct AutoscalerStats {
  uint64_t evaluations = 0;
  uint64_t errors = 0;      // policy errors and failed provider actions
  uint64_t actions = 0;     // successful scaleTo calls
  double last_eval_us = 0;  // policy evaluation time (the target is <= 1 ms per pool per tick)
  double avg_eval_us = 0;
  double max_eval_us = 0;
};

class Autoscaler {
 public:
  // `provider`, `metrics` and `events` must outlive the Autoscaler.
  Autoscaler(std::string pool, config::ScaleConfig config, std::unique_ptr<Policy> policy,
             Provider& provider, const MetricSource& metrics, EventLog& events);

  // One evaluation at `now_ms` (core/clock.h milliseconds; only differences matter). The first
  // tick also brings the pool into [min, max] before evaluating.
  void tick(int64_t now_ms);

  // Files a provider event (start, ready, crash, drain, ...) in the event log.
  void onProviderEvent(const ProviderEvent& event, int64_t now_ms);

  const std::string& pool() const { return pool_; }
  const config::ScaleConfig& config() const { return config_; }
  Policy& policy() { return *policy_; }
  // The count last asked of the provider (what a policy sees as `replicas`); 0 before any tick.
  int32_t target() const { return target_; }
  const AutoscalerStats& stats() const { return stats_; }

  // How long the engine remembers evaluations and scale actions for the policy's context: the
  // longest window a policy may look back on (HPA's default scale-down stabilization is 300 s).
  static constexpr int64_t kHistoryMs = 900'000;

 private:
  struct Evaluation {
    int64_t at_ms;
    int32_t current;
    int32_t desired;
    int32_t recommendation;
    std::string reason;
  };
  struct Action {
    int64_t at_ms;
    int32_t from;
    int32_t to;
  };
  // What made the last evaluation's outcome: a decision event is recorded when it changes.
  struct Outcome {
    int32_t current = -1;
    int32_t desired = -1;
    std::string held;  // "", "cooldown", "dry_run"
    bool operator==(const Outcome&) const = default;
  };

  PolicyContext context(int64_t now_ms) const;
  void remember(int64_t now_ms, int32_t current, const Decision& decision, int32_t desired);
  void act(int64_t now_ms, int32_t desired, const std::string& reason,
           const std::vector<std::pair<std::string, double>>& inputs);
  void recordDecision(int64_t now_ms, int32_t current, int32_t desired, std::string reason,
                      const std::vector<std::pair<std::string, double>>& inputs);
  // An event of this pool with the fields every kind has (the policy's name but for provider
  // events).
  ScaleEvent event(int64_t now_ms, EventKind kind, int32_t current, int32_t desired,
                   std::string reason) const;
  void recordError(int64_t now_ms, const std::string& error);
  int32_t countNonDraining() const;

  std::string pool_;
  config::ScaleConfig config_;
  std::unique_ptr<Policy> policy_;
  Provider& provider_;
  const MetricSource& metrics_;
  EventLog& events_;

  bool started_ = false;
  int32_t target_ = 0;
  std::optional<int64_t> last_scale_ms_;
  std::deque<Evaluation> evaluations_;  // oldest first; runs of equal outcomes collapsed
  std::deque<Action> actions_;          // oldest first
  Outcome last_outcome_;
  std::string last_error_;  // repeated identical errors are counted, not re-recorded
  AutoscalerStats stats_;
};

}  // namespace tidegate::scale
