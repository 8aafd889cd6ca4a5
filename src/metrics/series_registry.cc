#include "metrics/series_registry.h"

#include <cmath>

#include "metrics/shard.h"

namespace tidegate::metrics {
namespace {

Error configError(std::string message) {
  return Error(ErrorSource::kConfig, std::move(message));
}

bool isMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool isLabelName(std::string_view name) {
  return isMetricName(name) && name.find(':') == std::string_view::npos;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Prometheus label values must be UTF-8.
bool isUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// The sample names a family writes.
std::vector<std::string> sampleNames(const FamilySpec& spec) {
  if (spec.type != MetricType::kHistogram) return {spec.name};
  return {spec.name, spec.name + "_bucket", spec.name + "_sum", spec.name + "_count"};
}

const char* typeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "?";
}

}  // namespace

FamilySpec FamilySpec::counter(std::string name, std::string help,
                               std::vector<std::string> labels) {
  FamilySpec s;
  s.name = std::move(name);
  s.help = std::move(help);
  s.type = MetricType::kCounter;
  s.label_names = std::move(labels);
  return s;
}

FamilySpec FamilySpec::gauge(std::string name, std::string help, std::vector<std::string> labels,
                             GaugeMerge merge) {
  FamilySpec s = counter(std::move(name), std::move(help), std::move(labels));
  s.type = MetricType::kGauge;
  s.gauge_merge = merge;
  return s;
}

FamilySpec FamilySpec::histogram(std::string name, std::string help,
                                 std::vector<std::string> labels, double scale,
                                 std::vector<double> buckets) {
  FamilySpec s = counter(std::move(name), std::move(help), std::move(labels));
  s.type = MetricType::kHistogram;
  s.scale = scale;
  s.buckets = std::move(buckets);
  return s;
}

Result<FamilyId> SeriesRegistry::declare(FamilySpec spec) {
  const std::string& name = spec.name;
  if (!isMetricName(name)) {
    return configError("metric name '" + name + "' is not [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  if (name.starts_with("__")) return configError("metric name '" + name + "' is reserved (__)");
  if (spec.type == MetricType::kCounter && !endsWith(name, "_total")) {
    return configError("counter '" + name + "' must end in _total");
  }
  if (auto it = family_by_name_.find(name); it != family_by_name_.end()) {
    const Family& existing = families_[it->second.index];
    if (existing.spec.name == name && existing.spec == spec) return it->second;
    if (existing.spec.name == name) {
      return configError("metric '" + name + "' is already declared as a " +
                         typeName(existing.spec.type) + " with other help, labels or buckets");
    }
    return configError("metric name '" + name + "' is taken by histogram '" + existing.spec.name +
                       "'");
  }
  for (const std::string& sample : sampleNames(spec)) {
    if (auto it = family_by_name_.find(sample); it != family_by_name_.end()) {
      return configError("histogram '" + name + "' would write '" + sample +
                         "', already a metric name");
    }
  }
  for (size_t i = 0; i < spec.label_names.size(); ++i) {
    const std::string& label = spec.label_names[i];
    if (!isLabelName(label)) {
      return configError("metric '" + name + "': label name '" + label +
                         "' is not [a-zA-Z_][a-zA-Z0-9_]*");
    }
    if (label.starts_with("__")) {
      return configError("metric '" + name + "': label name '" + label + "' is reserved (__)");
    }
    if (spec.type == MetricType::kHistogram && label == "le") {
      return configError("histogram '" + name + "': label name 'le' is reserved");
    }
    for (size_t j = 0; j < i; ++j) {
      if (spec.label_names[j] == label) {
        return configError("metric '" + name + "': label '" + label + "' appears twice");
      }
    }
  }
  Family family;
  if (spec.type == MetricType::kHistogram) {
    if (!(spec.scale > 0) || !std::isfinite(spec.scale)) {
      return configError("histogram '" + name + "': scale must be a positive number");
    }
    for (size_t i = 0; i < spec.buckets.size(); ++i) {
      const double le = spec.buckets[i];
      if (!std::isfinite(le) || le < 0 || (i > 0 && le <= spec.buckets[i - 1])) {
        return configError("histogram '" + name +
                           "': bucket bounds must be finite, >= 0 and strictly ascending");
      }
      family.bucket_bounds.push_back(static_cast<uint64_t>(std::llround(le / spec.scale)));
    }
  } else if (!spec.buckets.empty()) {
    return configError("metric '" + name + "': only histograms have buckets");
  }
  const FamilyId id{static_cast<uint32_t>(families_.size())};
  for (const std::string& sample : sampleNames(spec))
    family_by_name_.emplace(sample, id);
  family.spec = std::move(spec);
  families_.push_back(std::move(family));
  return id;
}

std::string SeriesRegistry::seriesKey(FamilyId family,
                                      std::span<const std::string_view> values) const {
  std::string key = std::to_string(family.index);
  for (std::string_view v : values) {
    key += '|';
    key += std::to_string(v.size());
    key += ':';
    key += v;
  }
  return key;
}

Result<SeriesRef> SeriesRegistry::series(FamilyId family_id,
                                         std::span<const std::string_view> label_values) {
  if (family_id.index >= families_.size()) {
    return Error(ErrorSource::kInternal, "unknown metric family");
  }
  Family& family = families_[family_id.index];
  const FamilySpec& spec = family.spec;
  if (label_values.size() != spec.label_names.size()) {
    return configError("metric '" + spec.name + "' takes " +
                       std::to_string(spec.label_names.size()) + " label values, got " +
                       std::to_string(label_values.size()));
  }
  for (std::string_view v : label_values) {
    if (!isUtf8(v)) {
      return configError("metric '" + spec.name + "': label value is not valid UTF-8");
    }
  }
  std::string key = seriesKey(family_id, label_values);
  if (auto it = series_by_key_.find(key); it != series_by_key_.end()) return it->second;

  std::vector<SeriesInfo>* infos = nullptr;
  uint32_t limit = 0;
  switch (spec.type) {
    case MetricType::kCounter:
      infos = &counters_, limit = MetricShard::kMaxCounters;
      break;
    case MetricType::kGauge:
      infos = &gauges_, limit = MetricShard::kMaxGauges;
      break;
    case MetricType::kHistogram:
      infos = &histograms_, limit = MetricShard::kMaxHistograms;
      break;
  }
  if (infos->size() >= limit) {
    return configError("metric '" + spec.name + "': too many " + typeName(spec.type) +
                       " series (limit " + std::to_string(limit) + ")");
  }
  const SeriesRef ref(spec.type, static_cast<uint32_t>(infos->size()));
  infos->push_back(
      SeriesInfo{family_id, std::vector<std::string>(label_values.begin(), label_values.end())});
  family.series.push_back(ref);
  series_by_key_.emplace(std::move(key), ref);
  return ref;
}

std::optional<FamilyId> SeriesRegistry::findFamily(std::string_view name) const {
  auto it = family_by_name_.find(std::string(name));
  if (it == family_by_name_.end() || families_[it->second.index].spec.name != name) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<SeriesRef> SeriesRegistry::findSeries(
    FamilyId family, std::span<const std::string_view> label_values) const {
  auto it = series_by_key_.find(seriesKey(family, label_values));
  if (it == series_by_key_.end()) return std::nullopt;
  return it->second;
}

const SeriesInfo& SeriesRegistry::info(SeriesRef ref) const {
  switch (ref.type) {
    case MetricType::kCounter:
      return counters_[ref.index];
    case MetricType::kGauge:
      return gauges_[ref.index];
    case MetricType::kHistogram:
      break;
  }
  return histograms_[ref.index];
}

ShardLayout SeriesRegistry::layout() const {
  return ShardLayout{static_cast<uint32_t>(counters_.size()), static_cast<uint32_t>(gauges_.size()),
                     static_cast<uint32_t>(histograms_.size())};
}

}  // namespace tidegate::metrics
