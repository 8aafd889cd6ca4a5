// The exposition parser on what real exporters serve (Go's client_golang, Python's
// prometheus_client, the gateway's own renderer) and on each kind of malformed line, which is
// skipped and counted while the lines around it still count.

#include "metrics/exposition_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "metrics/prometheus.h"
#include "metrics/request_metrics.h"
#include "metrics/series_registry.h"

namespace tidegate::metrics {
namespace {

struct Parsed {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
  std::optional<int64_t> timestamp_ms;
};

std::vector<Parsed> parseAll(std::string_view text, ExpositionStats* stats = nullptr) {
  ExpositionParser parser(text);
  std::vector<Parsed> out;
  while (const ExpositionSample* s = parser.next()) {
    Parsed p{std::string(s->name), {}, s->value, s->timestamp_ms};
    for (const ExpositionLabel& l : s->labels)
      p.labels[std::string(l.name)] = l.value;
    out.push_back(std::move(p));
  }
  if (stats) *stats = parser.stats();
  return out;
}

// What client_golang's promhttp serves (abridged), histogram and summary included.
constexpr std::string_view kGoExporter =
    R"(# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.4667e-05
go_gc_duration_seconds{quantile="0.25"} 3.7208e-05
go_gc_duration_seconds{quantile="1"} 0.000387292
go_gc_duration_seconds_sum 0.012044793
go_gc_duration_seconds_count 186
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/api",le="0.1"} 9014
http_request_duration_seconds_bucket{handler="/api",le="+Inf"} 9211
http_request_duration_seconds_sum{handler="/api"} 311.7
http_request_duration_seconds_count{handler="/api"} 9211
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 14.53
# HELP app_queue_depth Jobs waiting.
# TYPE app_queue_depth gauge
app_queue_depth{queue="default"} 7
app_queue_depth{queue="bulk"} 12
)";

TEST(ExpositionParserTest, GoExporter) {
  ExpositionStats stats;
  std::vector<Parsed> s = parseAll(kGoExporter, &stats);
  EXPECT_EQ(stats.malformed, 0u) << stats.first_error;
  ASSERT_EQ(s.size(), 13u);
  EXPECT_EQ(stats.samples, 13u);
  EXPECT_EQ(s[0].name, "go_gc_duration_seconds");
  EXPECT_EQ(s[0].labels.at("quantile"), "0");
  EXPECT_DOUBLE_EQ(s[0].value, 2.4667e-05);
  EXPECT_EQ(s[4].name, "go_gc_duration_seconds_count");
  EXPECT_TRUE(s[4].labels.empty());
  EXPECT_EQ(s[4].value, 186);
  EXPECT_EQ(s[7].labels.at("le"), "+Inf");
  EXPECT_EQ(s[11].labels.at("queue"), "default");
  EXPECT_EQ(s[12].value, 12);
}

TEST(ExpositionParserTest, PythonClientWithTimestampsAndSpecialValues) {
  ExpositionStats stats;
  std::vector<Parsed> s = parseAll(
      "# HELP python_info Python platform information\n"
      "# TYPE python_info gauge\n"
      "python_info{implementation=\"CPython\",major=\"3\",minor=\"11\",patchlevel=\"4\","
      "version=\"3.11.4\"} 1.0\n"
      "# HELP jobs_in_progress In progress.\n"
      "# TYPE jobs_in_progress gauge\n"
      "jobs_in_progress 3.0 1700000000123\n"
      "ratio NaN\n"
      "ceiling +Inf\n"
      "floor -Inf\n"
      "loud Inf\n"
      "signed +1.5e3 -17\n",
      &stats);
  EXPECT_EQ(stats.malformed, 0u) << stats.first_error;
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].labels.at("version"), "3.11.4");
  EXPECT_EQ(s[0].labels.size(), 5u);
  EXPECT_EQ(s[1].value, 3.0);
  EXPECT_EQ(s[1].timestamp_ms, 1700000000123);
  EXPECT_TRUE(std::isnan(s[2].value));
  EXPECT_EQ(s[3].value, HUGE_VAL);
  EXPECT_EQ(s[4].value, -HUGE_VAL);
  EXPECT_EQ(s[5].value, HUGE_VAL);
  EXPECT_EQ(s[6].value, 1500);
  EXPECT_EQ(s[6].timestamp_ms, -17);
}

TEST(ExpositionParserTest, EscapedLabelValuesAndBlanks) {
  ExpositionStats stats;
  std::vector<Parsed> s = parseAll(
      "path_hits{path=\"C:\\\\temp\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n"
      "  spaced {  a = \"1\" ,\tb=\"x\", } \t 2 \n"
      "tight{a=\"{b},=\"}3\n"
      "empty_labels{} 4\n"
      "\n"
      "   \t\n"
      "#HELP this is only a comment\n"
      "# a comment that says nothing\n",
      &stats);
  EXPECT_EQ(stats.malformed, 0u) << stats.first_error;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].labels.at("path"), "C:\\temp");
  EXPECT_EQ(s[0].labels.at("q"), "say \"hi\"");
  EXPECT_EQ(s[0].labels.at("nl"), "a\nb");
  EXPECT_EQ(s[1].name, "spaced");
  EXPECT_EQ(s[1].labels.at("a"), "1");
  EXPECT_EQ(s[1].labels.at("b"), "x");
  EXPECT_EQ(s[1].value, 2);
  EXPECT_EQ(s[2].labels.at("a"), "{b},=");
  EXPECT_EQ(s[2].value, 3);
  EXPECT_TRUE(s[3].labels.empty());
}

TEST(ExpositionParserTest, MalformedLinesAreSkippedAndCounted) {
  const std::vector<std::string> bad = {
      "9starts_with_a_digit 1",
      "no_value",
      "no_value_after_labels{a=\"b\"}",
      "bad_value 12abc",
      "hex_value 0x1p-2",
      "two_signs --1",
      "unquoted{a=b} 1",
      "unterminated{a=\"b} 1",
      "bad_escape{a=\"\\t\"} 1",
      "duplicate{a=\"1\",a=\"2\"} 1",
      "missing_comma{a=\"1\" b=\"2\"} 1",
      "bad_label{1a=\"x\"} 1",
      "colon_label{a:b=\"x\"} 1",
      "bad_timestamp 1 soon",
      "fractional_timestamp 1 1.5",
      "exemplar_total 1 # {trace_id=\"abc\"} 1.0",
      "crlf 1\r",
      "huge 1e999",
      "# TYPE typed nonsense",
      "# TYPE typed gauge extra",
      "# HELP",
      "# TYPE 9bad gauge",
  };
  std::string text = "before 1\n";
  for (const std::string& line : bad)
    text += line + "\n";
  text += "after 2\n";
  ExpositionStats stats;
  std::vector<Parsed> s = parseAll(text, &stats);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "before");
  EXPECT_EQ(s[1].name, "after");
  EXPECT_EQ(s[1].value, 2);
  EXPECT_EQ(stats.samples, 2u);
  EXPECT_EQ(stats.malformed, bad.size());
  EXPECT_EQ(stats.first_malformed, 2u);
  EXPECT_EQ(stats.first_error, "expected a metric name");
  // Each on its own, so that no line hides behind another's error.
  for (const std::string& line : bad) {
    ExpositionStats one;
    EXPECT_TRUE(parseAll(line + "\nok 1\n", &one).size() == 1 && one.malformed == 1) << line;
  }
}

TEST(ExpositionParserTest, LastLineWithoutNewline) {
  std::vector<Parsed> s = parseAll("a 1\nb 2");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].value, 2);
  EXPECT_TRUE(parseAll("").empty());
}

TEST(ExpositionParserTest, LabelLookup) {
  ExpositionParser parser("x{a=\"1\",b=\"\"} 5\n");
  const ExpositionSample* s = parser.next();
  ASSERT_NE(s, nullptr);
  ASSERT_NE(s->label("a"), nullptr);
  EXPECT_EQ(*s->label("a"), "1");
  ASSERT_NE(s->label("b"), nullptr);
  EXPECT_EQ(*s->label("b"), "");
  EXPECT_EQ(s->label("c"), nullptr);
  EXPECT_EQ(parser.next(), nullptr);
}

// The gateway's own /metrics reads back completely: the two sides agree on the format.
TEST(ExpositionParserTest, ReadsTheGatewaysOwnRendering) {
  SeriesRegistry registry;
  auto requests = RequestMetrics::declare(registry);
  ASSERT_TRUE(requests.ok());
  ASSERT_TRUE(requests->route("we\"ird\\name\n", "up").ok());
  FoldedTotals totals;
  totals.counters.assign(registry.layout().counters, 3);
  totals.gauges.assign(registry.layout().gauges, 1.5);
  totals.histograms.resize(registry.layout().histograms);
  const std::string text = renderPrometheus(registry, totals);
  ExpositionStats stats;
  std::vector<Parsed> s = parseAll(text, &stats);
  EXPECT_EQ(stats.malformed, 0u) << stats.first_error << " at line " << stats.first_malformed;
  EXPECT_GT(s.size(), 20u);
  bool found = false;
  for (const Parsed& p : s)
    found |= p.name == "tidegate_http_requests_total" && p.labels.count("route") &&
             p.labels.at("route") == "we\"ird\\name\n" && p.value == 3;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tidegate::metrics
