#include "metrics/series_registry.h"

#include <gtest/gtest.h>

namespace tidegate::metrics {
namespace {

FamilySpec counterSpec(std::string name, std::vector<std::string> labels = {"route"}) {
  FamilySpec s;
  s.name = std::move(name);
  s.help = "help";
  s.type = MetricType::kCounter;
  s.label_names = std::move(labels);
  return s;
}

FamilySpec histogramSpec(std::string name) {
  FamilySpec s;
  s.name = std::move(name);
  s.help = "latency";
  s.type = MetricType::kHistogram;
  s.label_names = {"route"};
  s.scale = 1e-6;
  s.buckets = {0.001, 0.01, 0.1};
  return s;
}

TEST(SeriesRegistry, DenseHandlesPerTypeInCreationOrder) {
  SeriesRegistry r;
  auto requests = r.declare(counterSpec("tidegate_test_requests_total"));
  auto latency = r.declare(histogramSpec("tidegate_test_duration_seconds"));
  ASSERT_TRUE(requests.ok() && latency.ok());
  auto a = r.series(*requests, {"a"});
  auto b = r.series(*requests, {"b"});
  auto la = r.series(*latency, {"a"});
  ASSERT_TRUE(a.ok() && b.ok() && la.ok());
  EXPECT_EQ(*a, SeriesRef(CounterId{0}));
  EXPECT_EQ(*b, SeriesRef(CounterId{1}));
  EXPECT_EQ(*la, SeriesRef(HistogramId{0}));
  EXPECT_EQ(r.layout(), (ShardLayout{.counters = 2, .gauges = 0, .histograms = 1}));
  EXPECT_EQ(r.info(*b).label_values, std::vector<std::string>{"b"});
  EXPECT_EQ(r.info(*b).family, *requests);
  EXPECT_EQ(r.family(*requests).series.size(), 2u);
  // Histogram bounds in recorded units (microseconds).
  EXPECT_EQ(r.family(*latency).bucket_bounds, (std::vector<uint64_t>{1000, 10000, 100000}));
}

TEST(SeriesRegistry, SameNamesGiveTheSameHandles) {
  SeriesRegistry r;
  auto f1 = r.declare(counterSpec("tidegate_test_requests_total"));
  auto f2 = r.declare(counterSpec("tidegate_test_requests_total"));
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_EQ(*f1, *f2);
  auto s1 = r.series(*f1, {"x"});
  auto s2 = r.series(*f2, {"x"});
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_EQ(*s1, *s2);
  EXPECT_EQ(r.layout().counters, 1u);
  EXPECT_EQ(r.findFamily("tidegate_test_requests_total"), *f1);
  EXPECT_FALSE(r.findFamily("nope").has_value());
  const std::string_view x[] = {"x"};
  const std::string_view y[] = {"y"};
  EXPECT_EQ(r.findSeries(*f1, x), *s1);
  EXPECT_FALSE(r.findSeries(*f1, y).has_value());
}

TEST(SeriesRegistry, LabelValuesAreKeyedExactly) {
  SeriesRegistry r;
  auto f = r.declare(counterSpec("tidegate_test_pairs_total", {"a", "b"}));
  ASSERT_TRUE(f.ok());
  auto s1 = r.series(*f, {"x|1:y", ""});
  auto s2 = r.series(*f, {"x", "1:y|"});
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_NE(*s1, *s2);
}

void expectDeclareError(SeriesRegistry& r, FamilySpec spec, const std::string& fragment) {
  auto f = r.declare(std::move(spec));
  ASSERT_FALSE(f.ok()) << "expected an error containing: " << fragment;
  EXPECT_NE(f.error().message().find(fragment), std::string::npos) << f.error().message();
  EXPECT_EQ(f.error().source(), ErrorSource::kConfig);
}

TEST(SeriesRegistry, RejectsBadDeclarationsWithClearMessages) {
  SeriesRegistry r;
  ASSERT_TRUE(r.declare(histogramSpec("tidegate_test_duration_seconds")).ok());
  expectDeclareError(r, counterSpec("9starts_with_digit_total"), "is not [a-zA-Z_:]");
  expectDeclareError(r, counterSpec("has-dash_total"), "is not [a-zA-Z_:]");
  expectDeclareError(r, counterSpec("__reserved_total"), "reserved");
  expectDeclareError(r, counterSpec("tidegate_test_requests"), "must end in _total");
  expectDeclareError(r, counterSpec("tidegate_x_total", {"route", "route"}), "appears twice");
  expectDeclareError(r, counterSpec("tidegate_x_total", {"bad-label"}), "label name");
  expectDeclareError(r, counterSpec("tidegate_x_total", {"__l"}), "reserved");
  FamilySpec le = histogramSpec("tidegate_other_seconds");
  le.label_names = {"le"};
  expectDeclareError(r, le, "'le' is reserved");
  FamilySpec unordered = histogramSpec("tidegate_other_seconds");
  unordered.buckets = {0.1, 0.01};
  expectDeclareError(r, unordered, "strictly ascending");
  FamilySpec gauge = counterSpec("tidegate_test_duration_seconds_count", {});
  gauge.type = MetricType::kGauge;
  expectDeclareError(r, gauge, "taken by histogram");
  FamilySpec changed = histogramSpec("tidegate_test_duration_seconds");
  changed.help = "other help";
  expectDeclareError(r, changed, "already declared");
  FamilySpec g2 = counterSpec("tidegate_test_thing_sum", {});
  g2.type = MetricType::kGauge;
  ASSERT_TRUE(r.declare(g2).ok());
  expectDeclareError(r, histogramSpec("tidegate_test_thing"),
                     "would write 'tidegate_test_thing_sum'");
}

TEST(SeriesRegistry, RejectsBadSeries) {
  SeriesRegistry r;
  auto f = r.declare(counterSpec("tidegate_test_requests_total", {"route", "code"}));
  ASSERT_TRUE(f.ok());
  auto wrong_arity = r.series(*f, {"only one"});
  ASSERT_FALSE(wrong_arity.ok());
  EXPECT_NE(wrong_arity.error().message().find("takes 2 label values, got 1"), std::string::npos);
  auto bad_utf8 = r.series(*f, {"\xff\xfe", "x"});
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_NE(bad_utf8.error().message().find("UTF-8"), std::string::npos);
  EXPECT_FALSE(r.series(*f, {"\xc0\x80", "x"}).ok());  // overlong
  EXPECT_FALSE(r.series(*f, {"\xe2\x82", "x"}).ok());  // truncated
  EXPECT_TRUE(r.series(*f, {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\x8a", "x"}).ok());
  EXPECT_EQ(r.layout().counters, 1u);
}

}  // namespace
}  // namespace tidegate::metrics
