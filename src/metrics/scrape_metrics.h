#pragma once
// ScrapeMetrics: the families of the backend scraper (server/backend_scraper.h) — the values it
// reads from each backend's own /metrics as gauges, and how each scrape ended — declared once
// and set by the control thread on its own MetricShard. Control thread only.

#include <array>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "metrics/series_registry.h"

namespace tidegate::metrics {

// How one scrape ended: the `result` label of tidegate_upstream_scrapes_total.
enum class ScrapeResult : uint8_t {
  kOk,       // a 2xx response was read whole (its samples may still miss a selector)
  kError,    // refused, reset, a non-2xx status, a malformed or oversized response
  kTimeout,  // not finished within scrape.timeout
};
inline constexpr size_t kScrapeResults = 3;
constexpr std::string_view scrapeResultLabel(ScrapeResult r) {
  constexpr std::string_view kLabels[] = {"ok", "error", "timeout"};
  return kLabels[static_cast<size_t>(r)];
}

// Labels {upstream, backend}.
struct ScrapeSeries {
  std::array<CounterId, kScrapeResults> scrapes;  // tidegate_upstream_scrapes_total
  CounterId malformed_lines;                      // tidegate_upstream_scrape_malformed_lines_total
};

class ScrapeMetrics {
 public:
  // Declares the families; series appear as backends are scraped.
  static Result<ScrapeMetrics> declare(SeriesRegistry& registry);

  // Creates the series on first use; the caller then reserve()s the shards.
  Result<ScrapeSeries> backend(std::string_view upstream, std::string_view backend);
  // tidegate_upstream_backend_metric{upstream, backend, name}: a kLatest gauge, NaN (left out
  // of /metrics and the windows) while the value is unknown or stale.
  Result<GaugeId> value(std::string_view upstream, std::string_view backend, std::string_view name);
  // The same gauge if it exists, without creating it (for queries).
  std::optional<GaugeId> findValue(std::string_view upstream, std::string_view backend,
                                   std::string_view name) const;

 private:
  explicit ScrapeMetrics(SeriesRegistry& registry) : registry_(&registry) {}

  SeriesRegistry* registry_;
  FamilyId value_, scrapes_, malformed_;
};

}  // namespace tidegate::metrics
