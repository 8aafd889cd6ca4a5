#pragma once
// AccessLogMetrics: what the access log lost, on /metrics. The log never blocks a worker, so a
// full ring drops records and a failed write(2) loses its batch (metrics/access_log.h); both
// are counted there, and the control thread copies the counts to its shard once a tick as
// tidegate_access_log_dropped_total and tidegate_access_log_write_errors_total. Control thread
// only.

#include <cstdint>

#include "core/result.h"
#include "metrics/access_log.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::server {

class AccessLogMetrics {
 public:
  // Declares both families and their one series each; the caller then reserves the shards.
  static Result<AccessLogMetrics> declare(metrics::SeriesRegistry& registry);

  // Adds what `log` counted since the last call to `shard`.
  void update(const metrics::AccessLog& log, metrics::MetricShard& shard);

 private:
  metrics::CounterId dropped_{};
  metrics::CounterId write_errors_{};
  uint64_t seen_dropped_ = 0;
  uint64_t seen_write_errors_ = 0;
};

}  // namespace tidegate::server
