#include "lua/metric_catalog.h"

#include "metrics/shard.h"

namespace tidegate::lua {

Result<metrics::SeriesRef> RegistryDeclarer::declare(
    const metrics::FamilySpec& spec, std::span<const std::string_view> label_values) {
  if (registry_.findFamily(spec.name) && !lua_families_.contains(spec.name)) {
    return Error(ErrorSource::kScript,
                 "metric '" + spec.name + "' is one of the gateway's own: choose another name");
  }
  auto family = registry_.declare(spec);
  if (!family) return Error(ErrorSource::kScript, family.error().message());
  lua_families_.insert(spec.name);
  auto series = registry_.series(*family, label_values);
  if (!series) return Error(ErrorSource::kScript, series.error().message());
  if (own_shard_ != nullptr) own_shard_->reserve(registry_.layout());
  return series;
}

std::string MetricCatalog::key(std::string_view name, std::span<const Label> sorted_labels) {
  std::string key(name);
  for (const Label& label : sorted_labels) {
    for (std::string_view part : {label.first, label.second}) {
      key += '|';
      key += std::to_string(part.size());
      key += ':';
      key += part;
    }
  }
  return key;
}

}  // namespace tidegate::lua
