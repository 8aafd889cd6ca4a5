#pragma once
// BackendScraper: for every upstream with a `scrape:` block, reads each backend's own
// Prometheus endpoint every `interval` and makes the selected values available where the
// gateway decides: Lua's b:metric(name) (upstream::ScrapedValues, read lock-free by workers),
// the gauge tidegate_upstream_backend_metric{upstream,backend,name} (GET /metrics and the
// per-second windows, hence the autoscaler's backend:<name>), and
// tidegate_upstream_scrapes_total{upstream,backend,result}.
//
// Runs on the control thread's io_context, all I/O asynchronous (upstream/http_fetch.h): no
// blocking call there, and no work at all on the workers, so a slow or dead metrics endpoint
// never touches request traffic. A value is fresh for 3 intervals (plus the timeout) after the
// scrape that read it; past that, b:metric returns nil and the gauge is withdrawn (NaN), so a
// backend whose endpoint stops answering is not balanced on a number it reported long ago.
// Failures are counted, and logged at most once a minute per backend.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <asio/io_context.hpp>

#include "proxy/snapshot.h"
#include "server/telemetry.h"
#include "upstream/http_fetch.h"

namespace tidegate::server {

class BackendScraper {
 public:
  // Responses larger than this (head and body) are refused: an endpoint is not a download.
  static constexpr size_t kMaxResponseBytes = 4 << 20;
  // A value is kept this many intervals (plus the timeout) after the scrape that read it.
  static constexpr int kFreshIntervals = 3;
  static constexpr int64_t kWarnEveryMs = 60'000;

  // Both must outlive the scraper.
  BackendScraper(asio::io_context& io, Telemetry& telemetry);
  ~BackendScraper();
  BackendScraper(const BackendScraper&) = delete;
  BackendScraper& operator=(const BackendScraper&) = delete;

  // Takes the pools of a snapshot about to be published: starts scraping the backends that
  // appeared (first scrape at once), restarts those whose pool's scrape: changed, and stops
  // and withdraws the values of those that left. Control thread.
  void update(const proxy::Snapshot& snapshot);
  // Stops every scrape (shutdown). Control thread.
  void stop();

  size_t targetCount() const { return targets_.size(); }

 private:
  struct Target;

  void start(const std::shared_ptr<Target>& target);
  void scrape(const std::shared_ptr<Target>& target);
  void finish(Target& target, upstream::FetchResult result);
  void warn(Target& target, int64_t now_ms, const std::string& problem);
  void retire(Target& target);

  asio::io_context& io_;
  Telemetry& telemetry_;
  // By "upstream|backend".
  std::map<std::string, std::shared_ptr<Target>> targets_;
};

}  // namespace tidegate::server
