#pragma once
// Custom metrics declared from Lua (tg.metrics, api/metrics.cc): how a declaration at a
// script's top level becomes a series handle that the script's VM can record into its own
// shard without a lookup.
//
// The difficulty is threading: the SeriesRegistry belongs to the control thread, while route
// scripts run their top level twice, once in ScriptSet::build's scratch VM (control thread) and
// again in every worker VM (LoadedScripts::load, worker thread). The first pass declares through
// a MetricsDeclarer (the registry) and records every (name, labels) -> handle in the set's
// immutable MetricCatalog; the worker passes only look the catalog up. The server reserves every
// worker shard for the registry's new layout before it publishes the set.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/result.h"
#include "metrics/series_registry.h"

namespace tidegate::metrics {
class MetricShard;
}

namespace tidegate::lua {

// One declared series as a script holds it.
struct MetricSeries {
  metrics::SeriesRef ref;
  double scale = 1.0;  // histograms: recorded value = observed value / scale
  bool live = false;   // false: checked only (no registry behind it); recording does nothing
};

// Registers a family (or finds the identical one) and one of its series. Control thread only.
class MetricsDeclarer {
 public:
  virtual ~MetricsDeclarer() = default;
  // `label_values` follow spec.label_names. Errors are one line, without a position.
  virtual Result<metrics::SeriesRef> declare(const metrics::FamilySpec& spec,
                                             std::span<const std::string_view> label_values) = 0;
};

// A MetricsDeclarer over a SeriesRegistry. Keep one per registry for the life of the process:
// it remembers which families Lua declared, so that a script can neither take nor write into a
// family the gateway declared itself (tidegate_http_requests_total, ...). `own_shard`, when
// given, is a shard the calling (control) thread writes itself, e.g. the control VM's: it is
// reserved for every new series at once. Control thread only; both must outlive it.
class RegistryDeclarer final : public MetricsDeclarer {
 public:
  explicit RegistryDeclarer(metrics::SeriesRegistry& registry,
                            metrics::MetricShard* own_shard = nullptr)
      : registry_(registry), own_shard_(own_shard) {}

  Result<metrics::SeriesRef> declare(const metrics::FamilySpec& spec,
                                     std::span<const std::string_view> label_values) override;

 private:
  metrics::SeriesRegistry& registry_;
  metrics::MetricShard* own_shard_;
  std::unordered_set<std::string> lua_families_;
};

// Every series the scripts of one ScriptSet declared, keyed by name and label set. Filled by
// ScriptSet::build on the control thread, then immutable: any thread may read it.
class MetricCatalog {
 public:
  using Label = std::pair<std::string_view, std::string_view>;  // name, value

  // The key of `name` with `labels` sorted by label name.
  static std::string key(std::string_view name, std::span<const Label> sorted_labels);

  void add(std::string key, const MetricSeries& series) { series_.emplace(std::move(key), series); }
  const MetricSeries* find(std::string_view key) const {
    auto it = series_.find(key);
    return it == series_.end() ? nullptr : &it->second;
  }
  size_t size() const { return series_.size(); }

 private:
  std::map<std::string, MetricSeries, std::less<>> series_;
};

}  // namespace tidegate::lua
