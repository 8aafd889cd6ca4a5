// Selectors of `scrape.metrics`: what valid ones turn into, and each malformed one with the
// column the message points at.

#include "config/sample_selector.h"

#include <gtest/gtest.h>

namespace tidegate::config {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

SampleSelector parsed(std::string_view text) {
  Result<SampleSelector> r = parseSampleSelector(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : SampleSelector{};
}

std::string errorOf(std::string_view text) {
  Result<SampleSelector> r = parseSampleSelector(text);
  EXPECT_FALSE(r.ok()) << text << " was accepted";
  return r.ok() ? "" : r.error().message();
}

TEST(SampleSelectorTest, BareName) {
  SampleSelector s = parsed("app_queue_depth");
  EXPECT_EQ(s.metric, "app_queue_depth");
  EXPECT_TRUE(s.labels.empty());
  EXPECT_EQ(parsed("job:requests:rate5m").metric, "job:requests:rate5m");
  EXPECT_EQ(parsed("_x").metric, "_x");
  EXPECT_TRUE(parsed("up{}").labels.empty());
}

TEST(SampleSelectorTest, Labels) {
  SampleSelector s = parsed(R"(process_cpu_ratio{mode="user",cpu="0"})");
  EXPECT_EQ(s.metric, "process_cpu_ratio");
  EXPECT_EQ(s.labels, (Labels{{"mode", "user"}, {"cpu", "0"}}));
  // Blanks between tokens inside the braces, a trailing comma, an empty value.
  EXPECT_EQ(parsed("x{ a = \"1\" ,\tb=\"\", }").labels, (Labels{{"a", "1"}, {"b", ""}}));
}

TEST(SampleSelectorTest, EscapesInValues) {
  EXPECT_EQ(parsed(R"(x{path="C:\\dir",q="say \"hi\"",nl="a\nb"})").labels,
            (Labels{{"path", "C:\\dir"}, {"q", "say \"hi\""}, {"nl", "a\nb"}}));
  // Anything else, braces and commas included, is itself inside quotes.
  EXPECT_EQ(parsed(R"(x{v="{a=\"b\"},é"})").labels, (Labels{{"v", "{a=\"b\"},é"}}));
}

TEST(SampleSelectorTest, Malformed) {
  EXPECT_EQ(errorOf(""), "at column 1: the selector is empty");
  EXPECT_EQ(errorOf("9lives"), "at column 1: expected a metric name");
  EXPECT_EQ(errorOf(" x"), "at column 1: expected a metric name");
  EXPECT_EQ(errorOf("x y"), "at column 2: expected '{' or the end after the metric name");
  EXPECT_EQ(errorOf("x-y"), "at column 2: expected '{' or the end after the metric name");
  EXPECT_EQ(errorOf("x{"), "at column 3: expected a label name or '}'");
  EXPECT_EQ(errorOf("x{a}"), "at column 4: expected '='");
  EXPECT_EQ(errorOf("x{a=b}"), "at column 5: expected '\"'");
  EXPECT_EQ(errorOf("x{a=\"b}"), "at column 8: unterminated label value");
  EXPECT_EQ(errorOf("x{a=\"b\"c=\"d\"}"), "at column 8: expected ',' or '}'");
  EXPECT_EQ(errorOf("x{a=\"b\"} "), "at column 9: unexpected text after '}'");
  EXPECT_EQ(errorOf("x{a:b=\"c\"}"), "at column 4: expected '='");
  EXPECT_EQ(errorOf("x{1a=\"c\"}"), "at column 3: expected a label name or '}'");
  EXPECT_EQ(errorOf("x{a=\"1\",a=\"2\"}"), "at column 9: label 'a' is listed twice");
  EXPECT_EQ(errorOf(R"(x{a="\t"})"), "at column 6: unknown escape '\\t' (use \\\\, \\\" or \\n)");
}

TEST(SampleSelectorTest, OnlyExactMatchers) {
  const std::string why = "only exact matchers (label=\"value\") are supported";
  EXPECT_EQ(errorOf("x{a!=\"1\"}"), "at column 4: " + why);
  EXPECT_EQ(errorOf("x{a=~\"1.*\"}"), "at column 4: " + why);
  EXPECT_EQ(errorOf("x{a!~\"1\"}"), "at column 4: " + why);
}

}  // namespace
}  // namespace tidegate::config
