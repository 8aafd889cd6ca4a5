#include "metrics/scrape_metrics.h"

#include <string>
#include <utility>

namespace tidegate::metrics {

Result<ScrapeMetrics> ScrapeMetrics::declare(SeriesRegistry& registry) {
  ScrapeMetrics m(registry);
  std::pair<FamilyId*, FamilySpec> families[] = {
      {&m.value_, FamilySpec::latestGauge(
                      "tidegate_upstream_backend_metric",
                      "A value read from a backend's own metrics endpoint (upstream scrape:).",
                      {"upstream", "backend", "name"})},
      {&m.scrapes_,
       FamilySpec::counter(
           "tidegate_upstream_scrapes_total",
           "Scrapes of backends' own metrics endpoints, by result (ok, error, timeout).",
           {"upstream", "backend", "result"})},
      {&m.malformed_,
       FamilySpec::counter(
           "tidegate_upstream_scrape_malformed_lines_total",
           "Lines of backends' metrics endpoints skipped as not valid text format 0.0.4.",
           {"upstream", "backend"})},
  };
  for (auto& [id, s] : families) {
    auto family = registry.declare(std::move(s));
    if (!family) return family.error();
    *id = *family;
  }
  return m;
}

Result<ScrapeSeries> ScrapeMetrics::backend(std::string_view upstream, std::string_view backend) {
  ScrapeSeries s{};
  for (size_t r = 0; r < kScrapeResults; ++r) {
    auto id = registry_->series(
        scrapes_, {upstream, backend, scrapeResultLabel(static_cast<ScrapeResult>(r))});
    if (!id) return id.error();
    s.scrapes[r] = CounterId{id->index};
  }
  auto malformed = registry_->series(malformed_, {upstream, backend});
  if (!malformed) return malformed.error();
  s.malformed_lines = CounterId{malformed->index};
  return s;
}

Result<GaugeId> ScrapeMetrics::value(std::string_view upstream, std::string_view backend,
                                     std::string_view name) {
  auto id = registry_->series(value_, {upstream, backend, name});
  if (!id) return id.error();
  return GaugeId{id->index};
}

std::optional<GaugeId> ScrapeMetrics::findValue(std::string_view upstream, std::string_view backend,
                                                std::string_view name) const {
  const std::string_view labels[] = {upstream, backend, name};
  auto ref = registry_->findSeries(value_, labels);
  if (!ref) return std::nullopt;
  return GaugeId{ref->index};
}

}  // namespace tidegate::metrics
