#include "server/scrape_selection.h"

#include <cmath>

namespace tidegate::server {

bool sampleMatches(const metrics::ExpositionSample& sample,
                   const config::SampleSelector& selector) {
  if (sample.name != selector.metric) return false;
  for (const auto& [name, value] : selector.labels) {
    const std::string* actual = sample.label(name);
    if ((actual ? std::string_view(*actual) : std::string_view()) != value) return false;
  }
  return true;
}

ScrapeSelection selectScrapedValues(std::string_view exposition,
                                    const std::vector<config::ScrapeMetricConfig>& metrics) {
  std::vector<double> sums(metrics.size(), 0.0);
  std::vector<bool> found(metrics.size(), false);
  metrics::ExpositionParser parser(exposition);
  while (const metrics::ExpositionSample* sample = parser.next()) {
    for (size_t i = 0; i < metrics.size(); ++i) {
      if (!sampleMatches(*sample, metrics[i].selector)) continue;
      sums[i] += sample->value;
      found[i] = true;
    }
  }
  ScrapeSelection out;
  out.stats = parser.stats();
  out.values.resize(metrics.size());
  for (size_t i = 0; i < metrics.size(); ++i)
    if (found[i] && !std::isnan(sums[i])) out.values[i] = sums[i];
  return out;
}

}  // namespace tidegate::server
