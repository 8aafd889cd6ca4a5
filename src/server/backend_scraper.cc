#include "server/backend_scraper.h"

#include <cstring>
#include <limits>
#include <vector>

#include <asio/steady_timer.hpp>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/log.h"
#include "server/scrape_selection.h"

namespace tidegate::server {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Asks servers that negotiate (OpenMetrics-capable clients) for the text format this reads.
constexpr std::string_view kAccept = "Accept: text/plain;version=0.0.4\r\n";

asio::ip::tcp::endpoint endpointOf(const net::Address& address) {
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.sockaddrPtr(), address.length);
  endpoint.resize(address.length);
  return endpoint;
}

}  // namespace

struct BackendScraper::Target {
  explicit Target(asio::io_context& io) : timer(io) {}

  std::string upstream;
  std::string backend;  // its id, "host:port": the Host header and the label
  asio::ip::tcp::endpoint endpoint;
  config::ScrapeConfig config;
  std::shared_ptr<upstream::ScrapedValues> values;  // names == config.metrics' names
  std::vector<metrics::GaugeId> gauges;             // parallel to config.metrics
  std::vector<bool> shown;                          // the gauge holds a value, not NaN
  metrics::ScrapeSeries series{};
  asio::steady_timer timer;
  std::shared_ptr<upstream::HttpFetch> fetch;
  std::chrono::steady_clock::time_point started;
  uint64_t run = 0;  // bumped on restart and retirement: older callbacks see it and leave
  bool seen = false;
  uint64_t failures = 0;  // in a row
  int64_t last_warn_ms = std::numeric_limits<int64_t>::min() / 2;
  uint64_t unlogged = 0;  // problems since the last warning
};

BackendScraper::BackendScraper(asio::io_context& io, Telemetry& telemetry)
    : io_(io), telemetry_(telemetry) {}

BackendScraper::~BackendScraper() {
  for (auto& [key, t] : targets_) {
    ++t->run;
    if (t->fetch) t->fetch->cancel();
    t->timer.cancel();
  }
}

void BackendScraper::update(const proxy::Snapshot& snapshot) {
  for (auto& [key, t] : targets_)
    t->seen = false;
  std::vector<std::shared_ptr<Target>> to_start;
  bool created = false;
  for (const config::UpstreamConfig& u : snapshot.config->upstreams) {
    const int index = snapshot.poolIndex(u.name);
    if (!u.scrape || index < 0) continue;
    const proxy::Pool& pool = snapshot.pools[size_t(index)];
    for (size_t i = 0; i < pool.backends.size() && i < pool.scraped.size(); ++i) {
      const upstream::Backend& backend = *pool.backends[i];
      const std::string key = u.name + "|" + backend.id();
      if (auto it = targets_.find(key); it != targets_.end()) {
        Target& t = *it->second;
        if (t.values == pool.scraped[i]) {  // the same names: keep what is shown
          t.seen = true;
          if (!(t.config == *u.scrape)) {
            t.config = *u.scrape;
            to_start.push_back(it->second);
          }
          continue;
        }
        retire(t);
        targets_.erase(it);
      }
      auto t = std::make_shared<Target>(io_);
      t->upstream = u.name;
      t->backend = backend.id();
      t->endpoint = endpointOf(backend.address());
      t->config = *u.scrape;
      t->values = pool.scraped[i];
      t->seen = true;
      auto series = telemetry_.scrapes().backend(u.name, backend.id());
      bool ok = series.ok();
      if (ok) t->series = *series;
      for (const config::ScrapeMetricConfig& m : u.scrape->metrics) {
        auto gauge = telemetry_.scrapes().value(u.name, backend.id(), m.name);
        ok = ok && gauge.ok();
        if (gauge.ok()) t->gauges.push_back(*gauge);
      }
      if (!ok) {
        log::error("upstream {}: cannot scrape {}: no room for its metric series", u.name,
                   backend.id());
        continue;
      }
      t->shown.assign(t->gauges.size(), false);
      created = true;
      to_start.push_back(t);
      targets_.emplace(key, std::move(t));
    }
  }
  std::erase_if(targets_, [this](auto& entry) {
    if (entry.second->seen) return false;
    retire(*entry.second);
    return true;
  });
  // The control shard must hold the new series before this thread writes them.
  if (created) telemetry_.reserveShards();
  for (const auto& t : to_start)
    start(t);
}

void BackendScraper::stop() {
  for (auto& [key, t] : targets_)
    retire(*t);
  targets_.clear();
}

void BackendScraper::start(const std::shared_ptr<Target>& target) {
  ++target->run;
  if (target->fetch) target->fetch->cancel();
  target->fetch.reset();
  target->timer.cancel();
  scrape(target);
}

void BackendScraper::scrape(const std::shared_ptr<Target>& target) {
  Target& t = *target;
  t.started = std::chrono::steady_clock::now();
  upstream::FetchRequest request;
  request.user_agent = "tidegate-scraper";
  request.endpoint = t.endpoint;
  request.host = t.backend;
  request.target = t.config.path;
  request.extra_headers = kAccept;
  request.timeout = std::chrono::milliseconds(t.config.timeout_ms);
  request.max_bytes = kMaxResponseBytes;
  std::weak_ptr<Target> weak = target;
  const uint64_t run = t.run;
  t.fetch =
      upstream::HttpFetch::start(io_, request, [this, weak, run](upstream::FetchResult result) {
        auto target = weak.lock();
        if (!target || target->run != run) return;
        target->fetch.reset();
        finish(*target, std::move(result));
        // Fixed rate: the next scrape starts an interval after this one started.
        auto next = target->started + std::chrono::milliseconds(target->config.interval_ms);
        next = std::max(next, std::chrono::steady_clock::now());
        target->timer.expires_at(next);
        target->timer.async_wait([this, weak, run](std::error_code ec) {
          if (ec) return;
          auto target = weak.lock();
          if (target && target->run == run) scrape(target);
        });
      });
}

void BackendScraper::finish(Target& t, upstream::FetchResult r) {
  const int64_t now_ms = coarseNowMs();
  metrics::MetricShard& shard = telemetry_.controlShard();
  metrics::ScrapeResult result = metrics::ScrapeResult::kOk;
  std::string problem;
  if (r.outcome == upstream::FetchResult::Outcome::kTimeout) {
    result = metrics::ScrapeResult::kTimeout;
    problem = r.detail;
  } else if (r.outcome == upstream::FetchResult::Outcome::kError || r.status < 200 ||
             r.status > 299) {
    result = metrics::ScrapeResult::kError;
    problem = r.detail;
  } else {
    const ScrapeSelection selection = selectScrapedValues(r.body, t.config.metrics);
    if (selection.stats.malformed > 0) {
      shard.add(t.series.malformed_lines, selection.stats.malformed);
      problem = fmt::format("{} malformed line(s) skipped, the first at line {}: {}",
                            selection.stats.malformed, selection.stats.first_malformed,
                            selection.stats.first_error);
    }
    const int64_t fresh_until =
        now_ms + kFreshIntervals * t.config.interval_ms + t.config.timeout_ms;
    std::string unmatched;
    for (size_t i = 0; i < t.config.metrics.size(); ++i) {
      if (const std::optional<double>& v = selection.values[i]) {
        t.values->store(i, *v, fresh_until);
        shard.set(t.gauges[i], *v);
        t.shown[i] = true;
      } else {
        unmatched += fmt::format("{}{} ({})", unmatched.empty() ? "" : ", ",
                                 t.config.metrics[i].name, t.config.metrics[i].selector_text);
      }
    }
    if (!unmatched.empty())
      problem += (problem.empty() ? "" : "; ") + ("no sample matches " + unmatched);
  }
  shard.add(t.series.scrapes[static_cast<size_t>(result)]);
  // What was not read again for kFreshIntervals intervals is withdrawn from /metrics (and so
  // from the windows) at the same moment b:metric starts answering nil.
  for (size_t i = 0; i < t.shown.size(); ++i) {
    double ignored = 0;
    if (t.shown[i] && !t.values->read(i, now_ms, ignored)) {
      shard.set(t.gauges[i], kNaN);
      t.shown[i] = false;
    }
  }
  if (result == metrics::ScrapeResult::kOk) {
    if (t.failures > 0)
      log::info("upstream {}: scraping http://{}{} works again after {} failed attempt(s)",
                t.upstream, t.backend, t.config.path, t.failures);
    t.failures = 0;
  } else {
    ++t.failures;
  }
  if (!problem.empty()) warn(t, now_ms, problem);
}

void BackendScraper::warn(Target& t, int64_t now_ms, const std::string& problem) {
  if (now_ms - t.last_warn_ms < kWarnEveryMs) {
    ++t.unlogged;
    return;
  }
  log::warn(
      "upstream {}: scraping http://{}{}: {}{}", t.upstream, t.backend, t.config.path, problem,
      t.unlogged == 0 ? std::string()
                      : fmt::format(" (and {} more problem(s) in the last minute)", t.unlogged));
  t.last_warn_ms = now_ms;
  t.unlogged = 0;
}

void BackendScraper::retire(Target& t) {
  ++t.run;
  if (t.fetch) t.fetch->cancel();
  t.fetch.reset();
  t.timer.cancel();
  for (size_t i = 0; i < t.shown.size(); ++i)
    if (t.shown[i]) telemetry_.controlShard().set(t.gauges[i], kNaN);
  t.shown.assign(t.shown.size(), false);
}

}  // namespace tidegate::server
