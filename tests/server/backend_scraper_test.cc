// The backend scraper against a real socket: a small in-process HTTP server on loopback plays
// the backend's metrics endpoint. What a scrape reads becomes the Lua-visible value and the
// gauge, failures are counted by kind, values go stale once the endpoint stops answering, and a
// backend that leaves the pool is withdrawn. Intervals are far below the config's 1 s minimum
// (the struct is built by hand) so that staleness shows within a second.

#include "server/backend_scraper.h"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/sample_selector.h"
#include "core/clock.h"
#include "metrics/prometheus.h"
#include "server/snapshot_builder.h"

namespace tidegate::server {
namespace {

using asio::ip::tcp;

// Answers every request with `response` (after its head arrived), then closes; with an empty
// `response` it holds the connection open without answering.
class TinyServer {
 public:
  explicit TinyServer(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

  std::string response;
  std::vector<std::string> heads;  // every request head received

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string in;
    std::string out;
    std::array<char, 4096> buf{};
  };

  void accept() {
    acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
      if (ec) return;
      serve(std::make_shared<Conn>(std::move(socket)));
      accept();
    });
  }
  void serve(std::shared_ptr<Conn> c) {
    c->socket.async_read_some(asio::buffer(c->buf), [this, c](std::error_code ec, size_t n) {
      if (ec) return;
      c->in.append(c->buf.data(), n);
      const size_t end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) return serve(c);
      heads.push_back(c->in.substr(0, end));
      if (response.empty()) {
        held_.push_back(c);
        return;
      }
      c->out = response;
      asio::async_write(c->socket, asio::buffer(c->out), [c](std::error_code, size_t) {
        std::error_code ignored;
        c->socket.shutdown(tcp::socket::shutdown_both, ignored);
        c->socket.close(ignored);
      });
    });
  }

  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> held_;
};

std::string ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

config::ScrapeMetricConfig metric(std::string name, std::string_view selector) {
  config::ScrapeMetricConfig m;
  m.name = std::move(name);
  m.selector_text = std::string(selector);
  m.selector = config::parseSampleSelector(selector).value();
  return m;
}

class BackendScraperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = Telemetry::create();
    ASSERT_TRUE(t.ok());
    telemetry_ = std::move(t.value());
    registry_ = std::make_unique<BackendRegistry>(&telemetry_->requests());
    scraper_ = std::make_unique<BackendScraper>(io_, *telemetry_);
  }
  void TearDown() override { scraper_.reset(); }

  // One upstream "api" over `backends`, scraping depth and busy every `interval_ms`.
  std::shared_ptr<const proxy::Snapshot> publish(
      const std::vector<std::string>& backends, int64_t interval_ms = 150, int64_t timeout_ms = 100,
      std::vector<std::string> names = {"depth", "busy"}) {
    config::Config c;
    c.listen = {"127.0.0.1:1"};
    config::UpstreamConfig u;
    u.name = "api";
    for (const auto& b : backends)
      u.backends.push_back(config::BackendConfig{b, 1, {}});
    config::ScrapeConfig s;
    s.interval_ms = interval_ms;
    s.timeout_ms = timeout_ms;
    for (const auto& n : names)
      s.metrics.push_back(n == "busy" ? metric(n, R"(busy_total{kind="x"})")
                                      : metric(n, "app_queue_depth"));
    u.scrape = s;
    c.upstreams.push_back(u);
    SnapshotInputs inputs;
    inputs.metrics = &telemetry_->requests();
    auto snap =
        buildSnapshot(std::make_shared<const config::Config>(c), *registry_, ++gen_, 16384, inputs);
    EXPECT_TRUE(snap.ok());
    scraper_->update(*snap.value());
    return snap.value();
  }

  // Runs the loop until `pred` holds (bounded: a broken scraper fails, it does not hang).
  bool runUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(std::chrono::milliseconds(10));
      if (io_.stopped()) io_.restart();
    }
    return true;
  }

  std::optional<double> luaValue(const proxy::Snapshot& snap, size_t backend,
                                 std::string_view name) {
    double v = 0;
    if (!snap.pools[0].lua_backends->at(backend).metric(name, v)) return std::nullopt;
    return v;
  }
  double gauge(const std::string& backend, std::string_view name) {
    telemetry_->fold();
    auto id = telemetry_->scrapes().findValue("api", backend, name);
    if (!id) return std::nan("");
    return telemetry_->totals().gauges[id->index];
  }
  uint64_t scrapes(const std::string& backend, metrics::ScrapeResult result) {
    telemetry_->fold();
    auto series = telemetry_->scrapes().backend("api", backend);
    telemetry_->reserveShards();
    const auto& counters = telemetry_->totals().counters;
    const uint32_t index = series->scrapes[size_t(result)].index;
    return index < counters.size() ? counters[index] : 0;
  }

  asio::io_context io_;
  std::unique_ptr<Telemetry> telemetry_;
  std::unique_ptr<BackendRegistry> registry_;
  std::unique_ptr<BackendScraper> scraper_;
  uint64_t gen_ = 0;
};

constexpr std::string_view kBody =
    "# TYPE app_queue_depth gauge\n"
    "app_queue_depth{queue=\"default\"} 7\n"
    "app_queue_depth{queue=\"bulk\"} 12\n"
    "busy_total{kind=\"x\"} 3\n"
    "busy_total{kind=\"y\"} 100\n";

TEST_F(BackendScraperTest, ValuesReachLuaAndTheGauge) {
  TinyServer backend(io_);
  backend.response = ok(kBody);
  auto snap = publish({backend.address()});
  EXPECT_FALSE(luaValue(*snap, 0, "depth").has_value());  // never scraped yet
  ASSERT_TRUE(runUntil([&] { return luaValue(*snap, 0, "depth").has_value(); }));
  EXPECT_EQ(luaValue(*snap, 0, "depth"), 19.0);
  EXPECT_EQ(luaValue(*snap, 0, "busy"), 3.0);
  EXPECT_FALSE(luaValue(*snap, 0, "nope").has_value());
  EXPECT_FALSE(luaValue(*snap, 0, "load").has_value());  // the header's, never reported
  EXPECT_EQ(gauge(backend.address(), "depth"), 19.0);
  EXPECT_EQ(gauge(backend.address(), "busy"), 3.0);
  EXPECT_GE(scrapes(backend.address(), metrics::ScrapeResult::kOk), 1u);
  EXPECT_EQ(scrapes(backend.address(), metrics::ScrapeResult::kError), 0u);
  const std::string text = telemetry_->renderPrometheus();
  EXPECT_NE(text.find("tidegate_upstream_backend_metric{upstream=\"api\",backend=\"" +
                      backend.address() + "\",name=\"depth\"} 19\n"),
            std::string::npos)
      << text;

  ASSERT_FALSE(backend.heads.empty());
  const std::string& head = backend.heads[0];
  EXPECT_EQ(head.substr(0, head.find("\r\n")), "GET /metrics HTTP/1.1");
  EXPECT_NE(head.find("\r\nHost: " + backend.address()), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nConnection: close"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nAccept: text/plain;version=0.0.4"), std::string::npos) << head;

  // New values replace the old on the next scrapes.
  backend.response = ok("app_queue_depth 1\nbusy_total{kind=\"x\"} 4\n");
  ASSERT_TRUE(runUntil([&] { return luaValue(*snap, 0, "depth") == 1.0; }));
  EXPECT_EQ(luaValue(*snap, 0, "busy"), 4.0);
}

TEST_F(BackendScraperTest, FailuresAreCountedByKind) {
  TinyServer refusing_status(io_);
  refusing_status.response = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
  TinyServer silent(io_);  // accepts, never answers
  TinyServer garbled(io_);
  garbled.response = "NOT HTTP\r\n\r\n";
  std::string closed;
  {
    TinyServer gone(io_);
    closed = gone.address();
  }
  auto snap = publish({refusing_status.address(), silent.address(), garbled.address(), closed});
  ASSERT_TRUE(runUntil([&] {
    return scrapes(refusing_status.address(), metrics::ScrapeResult::kError) >= 2 &&
           scrapes(silent.address(), metrics::ScrapeResult::kTimeout) >= 2 &&
           scrapes(garbled.address(), metrics::ScrapeResult::kError) >= 2 &&
           scrapes(closed, metrics::ScrapeResult::kError) >= 2;
  }));
  for (const std::string& b : {refusing_status.address(), silent.address(), garbled.address()})
    EXPECT_EQ(scrapes(b, metrics::ScrapeResult::kOk), 0u) << b;
  EXPECT_EQ(scrapes(silent.address(), metrics::ScrapeResult::kError), 0u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_FALSE(luaValue(*snap, i, "depth").has_value());
  EXPECT_TRUE(std::isnan(gauge(refusing_status.address(), "depth")));
}

TEST_F(BackendScraperTest, ValuesGoStaleAfterThreeMissedIntervals) {
  TinyServer backend(io_);
  backend.response = ok(kBody);
  auto snap = publish({backend.address()}, 150, 100);
  ASSERT_TRUE(runUntil([&] { return luaValue(*snap, 0, "depth").has_value(); }));
  const int64_t last_good_ms = coarseNowMs();
  backend.response = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(runUntil([&] { return !luaValue(*snap, 0, "depth").has_value(); }));
  // Kept for 3 intervals plus the timeout after it was read (the clock is coarse: a few ms).
  EXPECT_GE(coarseNowMs() - last_good_ms, 3 * 150 + 100 - 150 - 20);
  ASSERT_TRUE(runUntil([&] { return std::isnan(gauge(backend.address(), "depth")); }));
  EXPECT_GE(scrapes(backend.address(), metrics::ScrapeResult::kError), 3u);
  EXPECT_EQ(telemetry_->renderPrometheus().find("tidegate_upstream_backend_metric{"),
            std::string::npos);

  // And it comes back with the endpoint.
  backend.response = ok(kBody);
  ASSERT_TRUE(runUntil([&] { return luaValue(*snap, 0, "depth") == 19.0; }));
  EXPECT_EQ(gauge(backend.address(), "depth"), 19.0);
}

TEST_F(BackendScraperTest, MalformedLinesAreSkippedAndCounted) {
  TinyServer backend(io_);
  backend.response = ok("app_queue_depth 5\nbusy_total{kind=x} 3\nnot valid at all\n");
  auto snap = publish({backend.address()});
  ASSERT_TRUE(runUntil([&] { return luaValue(*snap, 0, "depth").has_value(); }));
  EXPECT_EQ(luaValue(*snap, 0, "depth"), 5.0);
  EXPECT_FALSE(luaValue(*snap, 0, "busy").has_value());
  telemetry_->fold();
  const std::string text = telemetry_->renderPrometheus();
  EXPECT_NE(text.find("tidegate_upstream_scrape_malformed_lines_total{upstream=\"api\",backend=\"" +
                      backend.address() + "\"} "),
            std::string::npos)
      << text;
  EXPECT_GE(scrapes(backend.address(), metrics::ScrapeResult::kOk), 1u);
}

TEST_F(BackendScraperTest, ChunkedAndUntilCloseBodies) {
  TinyServer chunked(io_);
  chunked.response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "11\r\napp_queue_depth 2\r\n1\r\n\n\r\n0\r\n\r\n";
  TinyServer until_close(io_);
  until_close.response = "HTTP/1.0 200 OK\r\n\r\napp_queue_depth 3\n";
  auto snap = publish({chunked.address(), until_close.address()});
  ASSERT_TRUE(runUntil([&] {
    return luaValue(*snap, 0, "depth").has_value() && luaValue(*snap, 1, "depth").has_value();
  }));
  EXPECT_EQ(luaValue(*snap, 0, "depth"), 2.0);
  EXPECT_EQ(luaValue(*snap, 1, "depth"), 3.0);
}

TEST_F(BackendScraperTest, ABackendThatLeavesIsWithdrawn) {
  TinyServer a(io_);
  TinyServer b(io_);
  a.response = b.response = ok(kBody);
  auto first = publish({a.address(), b.address()});
  ASSERT_TRUE(runUntil([&] { return !std::isnan(gauge(b.address(), "depth")); }));
  EXPECT_EQ(scraper_->targetCount(), 2u);
  auto second = publish({a.address()});
  EXPECT_EQ(scraper_->targetCount(), 1u);
  EXPECT_TRUE(std::isnan(gauge(b.address(), "depth")));
  EXPECT_FALSE(std::isnan(gauge(a.address(), "depth")));
  // The same names: the same block, so Lua sets of both generations read the same values.
  EXPECT_EQ(first->pools[0].scraped[0], second->pools[0].scraped[0]);
  const size_t heads = b.heads.size();
  ASSERT_TRUE(runUntil([&] { return a.heads.size() >= 3; }));
  EXPECT_EQ(b.heads.size(), heads);  // no longer scraped
}

TEST_F(BackendScraperTest, ChangedNamesGetANewBlock) {
  TinyServer a(io_);
  a.response = ok(kBody);
  auto first = publish({a.address()});
  ASSERT_TRUE(runUntil([&] { return luaValue(*first, 0, "depth").has_value(); }));
  // "busy" goes, "depth" stays: readers of the old set keep the old names until they age out;
  // the new set has its own block under the new names.
  auto second = publish({a.address()}, 150, 100, {"depth"});
  EXPECT_NE(first->pools[0].scraped[0], second->pools[0].scraped[0]);
  EXPECT_NE(first->pools[0].lua_backends, second->pools[0].lua_backends);
  ASSERT_TRUE(runUntil([&] { return luaValue(*second, 0, "depth").has_value(); }));
  EXPECT_FALSE(luaValue(*second, 0, "busy").has_value());
  EXPECT_TRUE(std::isnan(gauge(a.address(), "busy")));
  EXPECT_EQ(gauge(a.address(), "depth"), 19.0);
}

TEST_F(BackendScraperTest, OversizedResponsesAreRefused) {
  TinyServer big(io_);
  big.response = ok(std::string(BackendScraper::kMaxResponseBytes, '#'));
  auto snap = publish({big.address()}, 1000, 900);
  ASSERT_TRUE(runUntil([&] { return scrapes(big.address(), metrics::ScrapeResult::kError) >= 1; }));
  EXPECT_EQ(scrapes(big.address(), metrics::ScrapeResult::kOk), 0u);
}

}  // namespace
}  // namespace tidegate::server
