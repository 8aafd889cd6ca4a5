#include "metrics/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tidegate::metrics {
namespace {

TEST(PrometheusEscaping, LabelValuesAndHelp) {
  std::string out;
  appendLabelValue(out, "a\\b\"c\nd\te");
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd\te");
  out.clear();
  appendHelp(out, "say \"hi\"\\\nbye");
  EXPECT_EQ(out, "say \"hi\"\\\\\\nbye");
}

TEST(PrometheusNumbers, ShortestRoundTripAndSpecials) {
  auto text = [](double v) {
    std::string out;
    appendNumber(out, v);
    return out;
  };
  EXPECT_EQ(text(0), "0");
  EXPECT_EQ(text(3), "3");
  EXPECT_EQ(text(0.005), "0.005");
  EXPECT_EQ(text(2.5), "2.5");
  EXPECT_EQ(text(-1.25), "-1.25");
  EXPECT_EQ(text(1e21), "1e+21");
  EXPECT_EQ(text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(text(std::nan("")), "NaN");
}

class PrometheusRender : public ::testing::Test {
 protected:
  FamilyId declare(MetricType type, std::string name, std::string help,
                   std::vector<std::string> labels) {
    FamilySpec spec;
    spec.name = std::move(name);
    spec.help = std::move(help);
    spec.type = type;
    spec.label_names = std::move(labels);
    if (type == MetricType::kHistogram) {
      spec.scale = 1e-6;
      spec.buckets = {0.001, 0.01, 0.1};
    }
    return *registry_.declare(std::move(spec));
  }
  uint32_t series(FamilyId f, std::initializer_list<std::string_view> values) {
    return registry_.series(f, values)->index;
  }
  void sizeTotals() {
    const ShardLayout l = registry_.layout();
    totals_.counters.resize(l.counters, 0);
    totals_.gauges.resize(l.gauges, 0.0);
    totals_.histograms.resize(l.histograms);
  }

  SeriesRegistry registry_;
  FoldedTotals totals_;
};

TEST_F(PrometheusRender, ExactExposition) {
  const FamilyId requests = declare(MetricType::kCounter, "tidegate_http_requests_total",
                                    "Requests answered.\nBy route.", {"route", "code_class"});
  const FamilyId connections = declare(MetricType::kGauge, "tidegate_http_connections_active",
                                       "Open client connections.", {});
  const FamilyId duration = declare(
      MetricType::kHistogram, "tidegate_http_request_duration_seconds", "Duration.", {"route"});
  const uint32_t api_2xx = series(requests, {"api", "2xx"});
  const uint32_t weird_5xx = series(requests, {"we\"ird\\route\n", "5xx"});
  const uint32_t open = series(connections, {});
  const uint32_t api_duration = series(duration, {"api"});
  const uint32_t idle_duration = series(duration, {"idle"});
  sizeTotals();
  totals_.counters[api_2xx] = 7;
  totals_.counters[weird_5xx] = 1;
  totals_.gauges[open] = 3.5;
  for (uint64_t us : {500, 1000, 5000, 200000})
    totals_.histograms[api_duration].record(us);
  (void)idle_duration;

  EXPECT_EQ(renderPrometheus(registry_, totals_),
            "# HELP tidegate_http_requests_total Requests answered.\\nBy route.\n"
            "# TYPE tidegate_http_requests_total counter\n"
            "tidegate_http_requests_total{route=\"api\",code_class=\"2xx\"} 7\n"
            "tidegate_http_requests_total{route=\"we\\\"ird\\\\route\\n\",code_class=\"5xx\"} 1\n"
            "# HELP tidegate_http_connections_active Open client connections.\n"
            "# TYPE tidegate_http_connections_active gauge\n"
            "tidegate_http_connections_active 3.5\n"
            "# HELP tidegate_http_request_duration_seconds Duration.\n"
            "# TYPE tidegate_http_request_duration_seconds histogram\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"api\",le=\"0.001\"} 2\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"api\",le=\"0.01\"} 3\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"api\",le=\"0.1\"} 3\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"api\",le=\"+Inf\"} 4\n"
            "tidegate_http_request_duration_seconds_sum{route=\"api\"} 0.2065\n"
            "tidegate_http_request_duration_seconds_count{route=\"api\"} 4\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"idle\",le=\"0.001\"} 0\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"idle\",le=\"0.01\"} 0\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"idle\",le=\"0.1\"} 0\n"
            "tidegate_http_request_duration_seconds_bucket{route=\"idle\",le=\"+Inf\"} 0\n"
            "tidegate_http_request_duration_seconds_sum{route=\"idle\"} 0\n"
            "tidegate_http_request_duration_seconds_count{route=\"idle\"} 0\n");
}

TEST_F(PrometheusRender, SkipsEmptyFamiliesAndUnsetLatestGauges) {
  declare(MetricType::kCounter, "tidegate_unused_total", "No series.", {"route"});
  FamilySpec load;
  load.name = "tidegate_upstream_reported_load";
  load.help = "Load a backend reports.";
  load.type = MetricType::kGauge;
  load.label_names = {"backend"};
  load.gauge_merge = GaugeMerge::kLatest;
  const FamilyId f = *registry_.declare(load);
  const uint32_t quiet = series(f, {"a"});
  const uint32_t busy = series(f, {"b"});
  sizeTotals();
  totals_.gauges[quiet] = std::numeric_limits<double>::quiet_NaN();
  totals_.gauges[busy] = 0.73;
  EXPECT_EQ(renderPrometheus(registry_, totals_),
            "# HELP tidegate_upstream_reported_load Load a backend reports.\n"
            "# TYPE tidegate_upstream_reported_load gauge\n"
            "tidegate_upstream_reported_load{backend=\"b\"} 0.73\n");
}

TEST_F(PrometheusRender, SeriesNotFoldedYetReadAsZero) {
  const FamilyId requests =
      declare(MetricType::kCounter, "tidegate_late_total", "Declared after the fold.", {});
  series(requests, {});
  EXPECT_EQ(renderPrometheus(registry_, totals_),
            "# HELP tidegate_late_total Declared after the fold.\n"
            "# TYPE tidegate_late_total counter\n"
            "tidegate_late_total 0\n");
}

}  // namespace
}  // namespace tidegate::metrics
