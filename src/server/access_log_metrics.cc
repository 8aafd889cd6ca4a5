#include "server/access_log_metrics.h"

#include <string>
#include <utility>

namespace tidegate::server {
namespace {

Result<metrics::CounterId> declareCounter(metrics::SeriesRegistry& registry, std::string name,
                                          std::string help) {
  auto family = registry.declare(metrics::FamilySpec::counter(std::move(name), std::move(help)));
  if (!family) return family.error();
  auto series = registry.series(*family, {});
  if (!series) return series.error();
  return metrics::CounterId{series->index};
}

}  // namespace

Result<AccessLogMetrics> AccessLogMetrics::declare(metrics::SeriesRegistry& registry) {
  AccessLogMetrics m;
  auto dropped = declareCounter(registry, "tidegate_access_log_dropped_total",
                                "Access log records dropped because a worker's ring was full.");
  if (!dropped) return dropped.error();
  auto errors = declareCounter(registry, "tidegate_access_log_write_errors_total",
                               "Failed writes of the access log (each loses its batch).");
  if (!errors) return errors.error();
  m.dropped_ = *dropped;
  m.write_errors_ = *errors;
  return m;
}

void AccessLogMetrics::update(const metrics::AccessLog& log, metrics::MetricShard& shard) {
  const uint64_t dropped = log.dropped();
  const uint64_t write_errors = log.writeErrors();
  shard.add(dropped_, dropped - seen_dropped_);
  shard.add(write_errors_, write_errors - seen_write_errors_);
  seen_dropped_ = dropped;
  seen_write_errors_ = write_errors;
}

}  // namespace tidegate::server
