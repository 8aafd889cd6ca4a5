#pragma once
// SeriesRegistry: metric families (name, help, type, label names) and their series (label
// values), each series given a dense handle for MetricShard. Control thread only: it is built
// when config loads (and when Lua declares custom metrics); workers get handles via snapshots.
//
// Series are never removed: a handle stays valid, and its cells in every shard, for the life
// of the process. A reload that keeps a route keeps its series and its totals.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "metrics/series_id.h"

namespace tidegate::metrics {

// How the control thread combines one gauge's per-worker values.
enum class GaugeMerge : uint8_t {
  kSum,     // each worker owns part of the value: in-flight requests, open connections
  kLatest,  // the most recently written value wins: a load reported by a backend
};

struct FamilySpec {
  std::string name;  // tidegate_<module>_<thing>_<unit>; counters end in _total
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;
  GaugeMerge gauge_merge = GaugeMerge::kSum;  // gauges only
  // Histograms only: exposed value = recorded value * scale (microseconds -> seconds: 1e-6),
  // and the Prometheus `le` bounds in exposed units, ascending (+Inf is implied).
  double scale = 1.0;
  std::vector<double> buckets;

  bool operator==(const FamilySpec&) const = default;

  // The usual shapes, so that a declaration reads as one line.
  static FamilySpec counter(std::string name, std::string help,
                            std::vector<std::string> labels = {});
  static FamilySpec gauge(std::string name, std::string help, std::vector<std::string> labels = {},
                          GaugeMerge merge = GaugeMerge::kSum);
  // A value a source reports now and then: the latest write wins across shards.
  static FamilySpec latestGauge(std::string name, std::string help,
                                std::vector<std::string> labels = {}) {
    return gauge(std::move(name), std::move(help), std::move(labels), GaugeMerge::kLatest);
  }
  static FamilySpec histogram(std::string name, std::string help, std::vector<std::string> labels,
                              double scale, std::vector<double> buckets);
};

// Prometheus `le` bounds for durations in seconds and for sizes in bytes.
inline const std::vector<double>& latencyBucketsSeconds() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                              0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
  return kBounds;
}
inline const std::vector<double>& sizeBucketsBytes() {
  static const std::vector<double> kBounds = {64,       256,       1024,      4096,    16384,
                                              65536,    262144,    1048576,   4194304, 16777216,
                                              67108864, 268435456, 1073741824};
  return kBounds;
}

struct FamilyId {
  uint32_t index = 0;
  bool operator==(const FamilyId&) const = default;
};

struct Family {
  FamilySpec spec;
  std::vector<uint64_t> bucket_bounds;  // spec.buckets in recorded units (histograms)
  std::vector<SeriesRef> series;        // in creation order
};

struct SeriesInfo {
  FamilyId family;
  std::vector<std::string> label_values;  // one per spec.label_names
};

class SeriesRegistry {
 public:
  // Declares a family, or returns the existing one when an identical spec is declared again
  // (a reload, a script loaded twice). Errors name the problem: bad or reserved names, a
  // counter without _total, a name taken by another family (or by a histogram's _bucket,
  // _sum, _count), unordered buckets.
  Result<FamilyId> declare(FamilySpec spec);

  // The series of `family` with these label values (one per label name), created on first use.
  // Errors: wrong number of values, invalid UTF-8, or the shard capacity of its type is full.
  Result<SeriesRef> series(FamilyId family, std::span<const std::string_view> label_values);
  Result<SeriesRef> series(FamilyId family, std::initializer_list<std::string_view> values) {
    return series(family, std::span<const std::string_view>(values.begin(), values.size()));
  }

  std::optional<FamilyId> findFamily(std::string_view name) const;
  std::optional<SeriesRef> findSeries(FamilyId family,
                                      std::span<const std::string_view> label_values) const;

  size_t familyCount() const { return families_.size(); }
  const Family& family(FamilyId id) const { return families_[id.index]; }
  const SeriesInfo& info(SeriesRef ref) const;
  // How many series of each type exist: what every shard must reserve().
  ShardLayout layout() const;

 private:
  std::string seriesKey(FamilyId family, std::span<const std::string_view> values) const;

  std::vector<Family> families_;
  std::unordered_map<std::string, FamilyId> family_by_name_;
  std::unordered_map<std::string, SeriesRef> series_by_key_;
  std::vector<SeriesInfo> counters_;
  std::vector<SeriesInfo> gauges_;
  std::vector<SeriesInfo> histograms_;
};

}  // namespace tidegate::metrics
