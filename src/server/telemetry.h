#pragma once
// Telemetry: the control plane's side of monitoring — the series registry, the standard
// request and host metrics, every worker's shard, and the once-a-second round that samples
// /proc and folds the shards into totals (for GET /metrics) and time windows (for policies).
// Control thread only; workers only ever touch their own shard.

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "lua/metric_catalog.h"
#include "metrics/aggregator.h"
#include "metrics/clock.h"
#include "metrics/host_metrics.h"
#include "metrics/proc_sampler.h"
#include "metrics/request_metrics.h"
#include "metrics/scrape_metrics.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"

namespace tidegate::server {

class Telemetry {
 public:
  static Result<std::unique_ptr<Telemetry>> create();

  metrics::SeriesRegistry& registry() { return registry_; }
  metrics::RequestMetrics& requests() { return *requests_; }
  metrics::HostMetrics& host() { return *host_; }
  // The backend scraper's families (values read from backends, scrape results).
  metrics::ScrapeMetrics& scrapes() { return *scrapes_; }
  metrics::MetricShard& controlShard() { return *control_shard_; }
  const metrics::Clock& clock() const { return clock_; }
  // Where route and control scripts declare their tg.metrics families (one for the process, so
  // that a family both declare is the same family).
  lua::MetricsDeclarer& luaDeclarer() { return *lua_declarer_; }

  // A worker's shard; call before the worker starts.
  void addShard(std::shared_ptr<metrics::MetricShard> shard);
  // Makes every shard hold every series declared so far. Call after declaring series and
  // before publishing a snapshot that holds their handles.
  void reserveShards();

  // The once-a-second round: samples /proc (host, and the processes in `pids` as
  // {upstream, backend, pid}), then folds.
  struct LocalProcess {
    std::string upstream;
    std::string backend;
    int pid;
  };
  void tick(const std::vector<LocalProcess>& processes);
  // Folds the shards now (also done by tick); a scrape calls it for fresh totals.
  void fold();

  std::string renderPrometheus() const;
  const metrics::WindowStore& windows() const { return aggregator_.windows(); }
  const metrics::FoldedTotals& totals() const { return aggregator_.totals(); }

 private:
  Telemetry() = default;

  metrics::SteadyClock clock_;
  metrics::SeriesRegistry registry_;
  std::optional<metrics::RequestMetrics> requests_;
  std::optional<metrics::HostMetrics> host_;
  std::optional<metrics::ScrapeMetrics> scrapes_;
  std::shared_ptr<metrics::MetricShard> control_shard_ = std::make_shared<metrics::MetricShard>();
  std::vector<std::shared_ptr<metrics::MetricShard>> shards_;
  metrics::Aggregator aggregator_{registry_, clock_};
  metrics::ProcSampler sampler_{clock_};
  std::unique_ptr<lua::RegistryDeclarer> lua_declarer_;
  bool host_warned_ = false;
};

}  // namespace tidegate::server
