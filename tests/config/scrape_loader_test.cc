// The `scrape:` block of an upstream: what a valid block turns into, and every way it can be
// wrong, each with the file:line:col a user (and `tidegate check`) sees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "errors_of.h"

namespace tidegate::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;

// Line 1: listen; 2: upstreams; 3: api; 4: backends; 5: scrape; the block's lines from 6.
std::string withScrape(std::string_view block) {
  return std::string(R"(listen: "127.0.0.1:8080"
upstreams:
  api:
    backends: ["127.0.0.1:9001"]
    scrape:
)") + std::string(block);
}

ScrapeConfig scrapeOf(const std::string& yaml) {
  LoadResult r = loadConfigString(yaml, "t.yaml");
  for (const Diagnostic& d : r.errors)
    ADD_FAILURE() << d.toString();
  if (!r.config || r.config->upstreams.empty() || !r.config->upstreams[0].scrape) {
    ADD_FAILURE() << "no scrape block";
    return {};
  }
  return *r.config->upstreams[0].scrape;
}

TEST(ScrapeLoaderTest, FullBlock) {
  ScrapeConfig s = scrapeOf(withScrape(R"(      path: /internal/metrics?format=text
      interval: 10s
      timeout: 2500ms
      metrics:
        queue_depth: app_queue_depth
        cpu: 'process_cpu_ratio{mode="user"}'
)"));
  EXPECT_EQ(s.path, "/internal/metrics?format=text");
  EXPECT_EQ(s.interval_ms, 10000);
  EXPECT_EQ(s.timeout_ms, 2500);
  ASSERT_EQ(s.metrics.size(), 2u);
  EXPECT_EQ(s.metrics[0].name, "queue_depth");
  EXPECT_EQ(s.metrics[0].selector.metric, "app_queue_depth");
  EXPECT_TRUE(s.metrics[0].selector.labels.empty());
  EXPECT_EQ(s.metrics[1].name, "cpu");
  EXPECT_EQ(s.metrics[1].selector_text, "process_cpu_ratio{mode=\"user\"}");
  EXPECT_EQ(s.metrics[1].selector.metric, "process_cpu_ratio");
  ASSERT_EQ(s.metrics[1].selector.labels.size(), 1u);
  EXPECT_EQ(s.metrics[1].selector.labels[0].first, "mode");
  EXPECT_EQ(s.metrics[1].selector.labels[0].second, "user");
  EXPECT_EQ(s.metrics[1].mark.line, 11);
  EXPECT_EQ(s.mark.line, 5);
}

TEST(ScrapeLoaderTest, Defaults) {
  ScrapeConfig s = scrapeOf(withScrape("      metrics: { depth: q }\n"));
  EXPECT_EQ(s.path, "/metrics");
  EXPECT_EQ(s.interval_ms, 5000);
  EXPECT_EQ(s.timeout_ms, 1000);
  // A scrape must end before the next starts: a short interval gets half of it by default.
  EXPECT_EQ(
      scrapeOf(withScrape("      interval: 1500ms\n      metrics: { depth: q }\n")).timeout_ms,
      750);
}

TEST(ScrapeLoaderTest, WorksOnAScaledUpstream) {
  LoadResult r = loadConfigString(R"(listen: "127.0.0.1:8080"
upstreams:
  app:
    backends: []
    scrape: { interval: 2s, metrics: { depth: q } }
    scale:
      max: 2
      policy: { builtin: concurrency, target: 4 }
      process: { command: "x --port {port}", ports: 9100-9109 }
)",
                                  "t.yaml");
  for (const Diagnostic& d : r.errors)
    ADD_FAILURE() << d.toString();
  ASSERT_TRUE(r.config);
  ASSERT_TRUE(r.config->upstreams[0].scrape);
  EXPECT_EQ(r.config->upstreams[0].scrape->interval_ms, 2000);
}

TEST(ScrapeLoaderTest, BadSelector) {
  EXPECT_THAT(errorsOf(withScrape(R"(      metrics:
        depth: 'app_queue_depth{queue="a"'
        cpu: 'cpu{mode!="idle"}'
        empty: ""
)")),
              ElementsAre("t.yaml:7:16: upstreams.api.scrape.metrics.depth: bad selector "
                          "'app_queue_depth{queue=\"a\"': at column 26: expected ',' or '}'",
                          "t.yaml:8:14: upstreams.api.scrape.metrics.cpu: bad selector "
                          "'cpu{mode!=\"idle\"}': at column 9: only exact matchers "
                          "(label=\"value\") are supported",
                          "t.yaml:9:16: upstreams.api.scrape.metrics.empty: must not be empty"));
}

TEST(ScrapeLoaderTest, BadDurations) {
  EXPECT_THAT(errorsOf(withScrape(R"(      interval: 5
      timeout: soon
      metrics: { depth: q }
)")),
              ElementsAre("t.yaml:6:17: upstreams.api.scrape.interval: invalid duration '5': "
                          "a unit is required (ms, s, m, h), e.g. \"5s\"",
                          "t.yaml:7:16: upstreams.api.scrape.timeout: invalid duration 'soon': "
                          "expected a number and a unit (ms, s, m, h), e.g. \"250ms\""));
  EXPECT_THAT(errorsOf(withScrape(R"(      interval: 500ms
      metrics: { depth: q }
)")),
              ElementsAre("t.yaml:6:17: upstreams.api.scrape.interval: must be from 1s to 1h"));
  EXPECT_THAT(errorsOf(withScrape(R"(      interval: 2h
      timeout: 0s
      metrics: { depth: q }
)")),
              ElementsAre("t.yaml:6:17: upstreams.api.scrape.interval: must be from 1s to 1h",
                          "t.yaml:7:16: upstreams.api.scrape.timeout: must be longer than 0"));
}

TEST(ScrapeLoaderTest, TimeoutMustBeShorterThanTheInterval) {
  EXPECT_THAT(errorsOf(withScrape(R"(      interval: 2s
      timeout: 2s
      metrics: { depth: q }
)")),
              ElementsAre("t.yaml:7:16: upstreams.api.scrape.timeout: must be shorter than the "
                          "interval (2000 ms)"));
  // Wherever the interval is written, and with the default interval.
  EXPECT_THAT(errorsOf(withScrape(R"(      timeout: 9s
      metrics: { depth: q }
)")),
              ElementsAre("t.yaml:6:16: upstreams.api.scrape.timeout: must be shorter than the "
                          "interval (5000 ms)"));
}

TEST(ScrapeLoaderTest, DuplicateAndBadNames) {
  EXPECT_THAT(errorsOf(withScrape(R"(      metrics:
        depth: queue_depth
        cpu: cpu_seconds
        depth: other_depth
        load: backend_load
        2fast: x
        "with space": x
)")),
              ElementsAre("t.yaml:9:9: upstreams.api.scrape.metrics: duplicate name 'depth' "
                          "(first at 7:9)",
                          "t.yaml:10:9: upstreams.api.scrape.metrics: 'load' is the "
                          "load_header's value in b:metric(); pick another name",
                          "t.yaml:11:9: upstreams.api.scrape.metrics: invalid name '2fast' "
                          "(letters, digits and '_', not starting with a digit)",
                          "t.yaml:12:9: upstreams.api.scrape.metrics: invalid name 'with space' "
                          "(letters, digits and '_', not starting with a digit)"));
}

TEST(ScrapeLoaderTest, UnknownKeysPathAndShape) {
  EXPECT_THAT(errorsOf(withScrape(R"(      path: metrics
      every: 5s
      metrics: []
)")),
              ElementsAre("t.yaml:6:13: upstreams.api.scrape.path: 'metrics' must start with '/'",
                          "t.yaml:7:7: upstreams.api.scrape: unknown key 'every' (allowed: path, "
                          "interval, timeout, metrics)",
                          "t.yaml:8:16: upstreams.api.scrape.metrics: expected a mapping of name: "
                          "selector, got a list"));
  EXPECT_THAT(errorsOf(withScrape("      path: \"/a b\"\n      metrics: { d: q }\n")),
              ElementsAre("t.yaml:6:13: upstreams.api.scrape.path: '/a b' may hold visible "
                          "ASCII only (percent-encode the rest)"));
  EXPECT_THAT(errorsOf(withScrape("      interval: 2s\n")),
              ElementsAre("t.yaml:5:5: upstreams.api.scrape: 'metrics' is required (name: "
                          "selector, ...)"));
  EXPECT_THAT(errorsOf(withScrape("      /metrics\n")),
              ElementsAre("t.yaml:6:7: upstreams.api.scrape: expected a mapping, got "
                          "'/metrics'"));
}

TEST(ScrapeLoaderTest, AtMostSixteenMetrics) {
  std::string block = "      metrics:\n";
  for (int i = 0; i < 17; ++i)
    block += "        m" + std::to_string(i) + ": x\n";
  EXPECT_THAT(
      errorsOf(withScrape(block)),
      ElementsAre("t.yaml:23:9: upstreams.api.scrape.metrics: at most 16 metrics per upstream"));
}

}  // namespace
}  // namespace tidegate::config
