#pragma once
// What an upstream's scrape: block reads out of one backend's exposition: for each configured
// metric, the sum of the samples its selector matches. Pure; the backend scraper calls it on
// the control thread.
//
// Several samples can match one selector (`app_queue_depth` over queues "default" and "bulk",
// `http_requests_total{code="200"}` over handlers): their sum is the value, which is what a
// selector that leaves a label out means for counters and for most gauges (a total over the
// label). A selector that matches nothing, or whose sum is NaN, yields no value this time.

#include <optional>
#include <string_view>
#include <vector>

#include "config/scrape_schema.h"
#include "metrics/exposition_parser.h"

namespace tidegate::server {

struct ScrapeSelection {
  std::vector<std::optional<double>> values;  // one per metric, in config order
  metrics::ExpositionStats stats;             // samples read, malformed lines skipped
};

// A sample matches when its name is the selector's and it carries every selector label with
// that value; a label selected as "" also matches a sample without it (Prometheus' rule).
bool sampleMatches(const metrics::ExpositionSample& sample, const config::SampleSelector& selector);

ScrapeSelection selectScrapedValues(std::string_view exposition,
                                    const std::vector<config::ScrapeMetricConfig>& metrics);

}  // namespace tidegate::server
