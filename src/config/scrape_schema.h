#pragma once
// The `scrape:` block of an upstream as plain structs: where each backend serves its own
// Prometheus metrics, how often the gateway reads them, and which samples become which named
// values. Parsed by config/scrape_loader.cc; server/backend_scraper.h runs it.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/source_mark.h"

namespace tidegate::config {

// `name{label="value",...}`: the samples of family `name` that carry every listed label with
// that value (a label listed with "" also matches samples without it, as in Prometheus).
struct SampleSelector {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> labels;  // as written, values unescaped

  bool operator==(const SampleSelector&) const = default;
};

// One value read from each backend: `name` is what Lua's b:metric(name), the gauge's `name`
// label and the autoscaler's backend:<name> call it.
struct ScrapeMetricConfig {
  std::string name;
  std::string selector_text;  // as written, for messages
  SampleSelector selector;
  SourceMark mark;

  bool operator==(const ScrapeMetricConfig& o) const {
    return name == o.name && selector == o.selector;
  }
};

struct ScrapeConfig {
  std::string path = "/metrics";            // origin-form request target: path and optional query
  int64_t interval_ms = 5000;               // at least 1 s
  int64_t timeout_ms = 1000;                // less than interval_ms
  std::vector<ScrapeMetricConfig> metrics;  // in file order, names unique, at least one
  SourceMark mark;

  bool operator==(const ScrapeConfig& o) const {
    return path == o.path && interval_ms == o.interval_ms && timeout_ms == o.timeout_ms &&
           metrics == o.metrics;
  }
};

}  // namespace tidegate::config
