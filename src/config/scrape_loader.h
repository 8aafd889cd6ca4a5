#pragma once
// Reads an upstream's `scrape:` block into a ScrapeConfig. Called by the config loader
// (control thread) for each upstream that has one; every problem is reported with its YAML
// mark, and all of them in one pass.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>

#include "config/scrape_schema.h"

namespace tidegate::config {

// The most values one upstream may scrape: each is a series per backend, and Lua's
// b:metric(name) looks its name up in a list this long.
inline constexpr size_t kMaxScrapeMetrics = 16;

// `value` is the block, `key` its key, `where` the path for messages ("upstreams.api.scrape"),
// `file` the config file name (for SourceMarks). `report` receives each problem. Returns the
// config when the block had no errors; nullopt after reporting at least one.
std::optional<ScrapeConfig> parseScrapeBlock(
    const YAML::Node& value, const YAML::Node& key, const std::string& where,
    const std::string& file, const std::function<void(const YAML::Mark&, std::string)>& report);

}  // namespace tidegate::config
