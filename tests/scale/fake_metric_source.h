#pragma once
// FakeMetricSource: a MetricSource whose values a test sets by hand. A value set for a name
// alone answers any aggregation and window; one set with agg and window answers only those.

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "scale/metric_source.h"
#include "scale/policy.h"

namespace tidegate::scale {

class FakeMetricSource : public MetricSource {
 public:
  void set(const std::string& name, double value) { any_[name] = value; }
  void set(const std::string& name, const std::string& agg, int window_s, double value) {
    exact_[{name, agg, window_s}] = value;
  }
  void clear(const std::string& name) {
    any_.erase(name);
    std::erase_if(exact_, [&](const auto& kv) { return std::get<0>(kv.first) == name; });
  }
  // Per-instance values: `value` nullopt is a "missing" instance (no sample yet).
  void setInstance(const std::string& name, const std::string& id, bool ready,
                   std::optional<double> value) {
    for (InstanceMetric& m : instances_[name]) {
      if (m.id == id) {
        m.ready = ready;
        m.value = value;
        return;
      }
    }
    instances_[name].push_back(InstanceMetric{id, ready, value});
  }

  std::optional<double> metric(std::string_view name, metrics::Agg agg,
                               std::chrono::seconds window) const override {
    ++queries;
    auto exact = exact_.find({std::string(name), aggName(agg), int(window.count())});
    if (exact != exact_.end()) return exact->second;
    auto any = any_.find(std::string(name));
    if (any != any_.end()) return any->second;
    return std::nullopt;
  }
  std::vector<InstanceMetric> perInstance(std::string_view name, metrics::Agg,
                                          std::chrono::seconds) const override {
    auto it = instances_.find(std::string(name));
    return it == instances_.end() ? std::vector<InstanceMetric>{} : it->second;
  }

  mutable int queries = 0;

 private:
  std::map<std::string, double> any_;
  std::map<std::tuple<std::string, std::string, int>, double> exact_;
  std::map<std::string, std::vector<InstanceMetric>> instances_;
};

// A context with the given counts over `metrics`.
inline PolicyContext makeContext(const MetricSource& metrics, int replicas, int ready, int min,
                                 int max) {
  PolicyContext ctx;
  ctx.replicas = replicas;
  ctx.ready = ready;
  ctx.min = min;
  ctx.max = max;
  ctx.metrics = &metrics;
  return ctx;
}

}  // namespace tidegate::scale
