#include "scale/autoscaler.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace tidegate::scale {
namespace {

constexpr size_t kMaxEvaluations = 1024;
constexpr size_t kMaxActions = 256;

std::string secondsText(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", double(ms) / 1000.0);
  return buf;
}

}  // namespace

Autoscaler::Autoscaler(std::string pool, config::ScaleConfig config, std::unique_ptr<Policy> policy,
                       Provider& provider, const MetricSource& metrics, EventLog& events)
    : pool_(std::move(pool)),
      config_(std::move(config)),
      policy_(std::move(policy)),
      provider_(provider),
      metrics_(metrics),
      events_(events) {}

int32_t Autoscaler::countNonDraining() const {
  int32_t n = 0;
  for (const InstanceInfo& i : provider_.instances()) {
    if (i.state != InstanceState::kDraining && i.state != InstanceState::kStopping) ++n;
  }
  return n;
}

PolicyContext Autoscaler::context(int64_t now_ms) const {
  PolicyContext ctx;
  ctx.replicas = target_;
  ctx.ready = int32_t(provider_.readyCount());
  ctx.min = int32_t(config_.min);
  ctx.max = int32_t(config_.max);
  ctx.now = double(now_ms) / 1000.0;
  if (last_scale_ms_) ctx.since_last_scale = double(now_ms - *last_scale_ms_) / 1000.0;
  ctx.metrics = &metrics_;
  ctx.decisions.reserve(evaluations_.size());
  for (auto it = evaluations_.rbegin(); it != evaluations_.rend(); ++it) {
    ctx.decisions.push_back(PastDecision{double(now_ms - it->at_ms) / 1000.0, it->current,
                                         it->desired, it->recommendation, it->reason});
  }
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
    ctx.scale_events.push_back(PastScale{double(now_ms - it->at_ms) / 1000.0, it->from, it->to});
  }
  return ctx;
}

void Autoscaler::tick(int64_t now_ms) {
  while (!evaluations_.empty() && now_ms - evaluations_.front().at_ms > kHistoryMs)
    evaluations_.pop_front();
  while (!actions_.empty() && now_ms - actions_.front().at_ms > kHistoryMs)
    actions_.pop_front();

  if (!started_) {
    started_ = true;
    // Not a policy decision, so dry_run does not hold it: a dry-run pool still serves.
    target_ = countNonDraining();
    act(now_ms, std::clamp(target_, int32_t(config_.min), int32_t(config_.max)),
        "start: bring the pool into [min, max]", {});
  }

  const int32_t current = target_;
  PolicyContext ctx = context(now_ms);
  const auto t0 = std::chrono::steady_clock::now();
  Result<Decision> result = policy_->evaluate(ctx);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  ++stats_.evaluations;
  stats_.last_eval_us = us;
  stats_.max_eval_us = std::max(stats_.max_eval_us, us);
  stats_.avg_eval_us += (us - stats_.avg_eval_us) / double(stats_.evaluations);

  if (!result) {
    ++stats_.errors;
    recordError(now_ms, result.error().message());
    return;
  }
  last_error_.clear();
  const Decision& d = result.value();
  const int32_t desired = std::clamp(d.desired, int32_t(config_.min), int32_t(config_.max));
  std::string reason = d.reason;
  if (desired != d.desired) {
    reason += " (clamped to " + std::string(desired == int32_t(config_.max) ? "max " : "min ") +
              std::to_string(desired) + ")";
  }
  remember(now_ms, current, d, desired);

  Outcome outcome{current, desired, ""};
  if (desired != current && last_scale_ms_) {
    const bool up = desired > current;
    const int64_t cooldown = up ? config_.cooldown_up_ms : config_.cooldown_down_ms;
    const int64_t elapsed = now_ms - *last_scale_ms_;
    if (elapsed < cooldown) {
      outcome.held = "cooldown";
      reason += " (held: scale-" + std::string(up ? "up" : "down") + " cooldown, " +
                secondsText(cooldown - elapsed) + " left)";
    }
  }
  if (outcome.held.empty() && desired != current && config_.dry_run) {
    outcome.held = "dry_run";
    reason = "dry run, not acting: " + reason;
  }
  const bool changed = !(outcome == last_outcome_);
  last_outcome_ = outcome;
  if (desired == current || !outcome.held.empty()) {
    if (changed) recordDecision(now_ms, current, desired, reason, d.inputs);
    return;
  }
  act(now_ms, desired, reason, d.inputs);
}

void Autoscaler::remember(int64_t now_ms, int32_t current, const Decision& decision,
                          int32_t desired) {
  // A run of equal evaluations keeps only its newest time: every window a policy checks
  // ("any recommendation younger than N s") sees the same values.
  if (!evaluations_.empty()) {
    Evaluation& last = evaluations_.back();
    if (last.current == current && last.desired == desired &&
        last.recommendation == decision.recommendation) {
      last.at_ms = now_ms;
      last.reason = decision.reason;
      return;
    }
  }
  evaluations_.push_back(
      Evaluation{now_ms, current, desired, decision.recommendation, decision.reason});
  while (evaluations_.size() > kMaxEvaluations)
    evaluations_.pop_front();
}

ScaleEvent Autoscaler::event(int64_t now_ms, EventKind kind, int32_t current, int32_t desired,
                             std::string reason) const {
  ScaleEvent e;
  e.at_ms = now_ms;
  e.pool = pool_;
  e.kind = kind;
  if (kind != EventKind::kProvider) e.policy = policy_->name();  // the provider's own doings
  e.current = current;
  e.desired = desired;
  e.reason = std::move(reason);
  return e;
}

void Autoscaler::act(int64_t now_ms, int32_t desired, const std::string& reason,
                     const std::vector<std::pair<std::string, double>>& inputs) {
  const int32_t from = target_;
  Result<Ok> done = provider_.scaleTo(uint32_t(desired));
  if (!done) {
    ++stats_.errors;
    ScaleEvent e = event(now_ms, EventKind::kError, from, desired, reason);
    e.inputs = inputs;
    e.error = "provider " + std::string(provider_.kind()) + ": " + done.error().message();
    events_.record(std::move(e));
    // Tried again next tick; the outcome is forgotten so that a repeat is recorded too.
    last_outcome_ = Outcome{};
    return;
  }
  ++stats_.actions;
  target_ = desired;
  if (from != desired) {  // the start may find the pool in range already: nothing changed
    last_scale_ms_ = now_ms;
    actions_.push_back(Action{now_ms, from, desired});
    while (actions_.size() > kMaxActions)
      actions_.pop_front();
  }
  ScaleEvent e = event(now_ms, EventKind::kScale, from, desired, reason);
  e.inputs = inputs;
  events_.record(std::move(e));
  // The next evaluation starts from the new count: record it when it differs.
  last_outcome_ = Outcome{desired, desired, ""};
}

void Autoscaler::recordDecision(int64_t now_ms, int32_t current, int32_t desired,
                                std::string reason,
                                const std::vector<std::pair<std::string, double>>& inputs) {
  ScaleEvent e = event(now_ms, EventKind::kDecision, current, desired, std::move(reason));
  e.inputs = inputs;
  events_.record(std::move(e));
}

void Autoscaler::recordError(int64_t now_ms, const std::string& error) {
  last_outcome_ = Outcome{};
  if (error == last_error_) return;
  last_error_ = error;
  ScaleEvent e =
      event(now_ms, EventKind::kError, target_, target_, "policy error: keeping the current count");
  e.error = error;
  events_.record(std::move(e));
}

void Autoscaler::onProviderEvent(const ProviderEvent& event, int64_t now_ms) {
  ScaleEvent e = this->event(now_ms, EventKind::kProvider, target_, target_,
                             event.kind + (event.message.empty() ? "" : ": " + event.message));
  e.instance = event.instance;
  if (event.error) e.error = event.message.empty() ? event.kind : event.message;
  events_.record(std::move(e));
}

}  // namespace tidegate::scale
