// Which samples of a backend's exposition a scrape: block's selectors pick, and what one value
// they make: the sum of the matches, none when nothing matches or the sum is NaN.

#include "server/scrape_selection.h"

#include <gtest/gtest.h>

#include <cmath>

#include "config/sample_selector.h"

namespace tidegate::server {
namespace {

config::ScrapeMetricConfig metric(std::string name, std::string_view selector) {
  config::ScrapeMetricConfig m;
  m.name = std::move(name);
  m.selector_text = std::string(selector);
  auto parsed = config::parseSampleSelector(selector);
  EXPECT_TRUE(parsed.ok()) << selector;
  if (parsed.ok()) m.selector = parsed.value();
  return m;
}

constexpr std::string_view kExposition = R"(# HELP app_queue_depth Jobs waiting.
# TYPE app_queue_depth gauge
app_queue_depth{queue="default"} 7
app_queue_depth{queue="bulk"} 12
# TYPE process_cpu_ratio gauge
process_cpu_ratio{mode="user",cpu="0"} 0.25
process_cpu_ratio{mode="user",cpu="1"} 0.5
process_cpu_ratio{mode="system",cpu="0"} 0.125
app_queue_depth_total 1000
shards_busy{zone=""} 1
shards_busy{zone="a"} 2
shards_busy 4
broken NaN
half_broken{part="a"} 1
half_broken{part="b"} NaN
this line is not valid
)";

TEST(ScrapeSelectionTest, SumsWhatMatches) {
  const std::vector<config::ScrapeMetricConfig> metrics = {
      metric("depth", "app_queue_depth"),
      metric("bulk", R"(app_queue_depth{queue="bulk"})"),
      metric("user_cpu", R"(process_cpu_ratio{mode="user"})"),
      metric("cpu0_user", R"(process_cpu_ratio{cpu="0",mode="user"})"),
      metric("total", "app_queue_depth_total"),
      metric("no_zone", R"(shards_busy{zone=""})"),
      metric("missing", "nowhere"),
      metric("missing_label", R"(app_queue_depth{queue="none"})"),
      metric("broken", "broken"),
      metric("half_broken", "half_broken"),
      metric("half_fine", R"(half_broken{part="a"})"),
  };
  ScrapeSelection s = selectScrapedValues(kExposition, metrics);
  ASSERT_EQ(s.values.size(), metrics.size());
  EXPECT_EQ(s.values[0], 19.0);  // both queues; not app_queue_depth_total
  EXPECT_EQ(s.values[1], 12.0);
  EXPECT_EQ(s.values[2], 0.75);
  EXPECT_EQ(s.values[3], 0.25);  // label order does not matter
  EXPECT_EQ(s.values[4], 1000.0);
  EXPECT_EQ(s.values[5], 5.0);  // zone="" and no zone at all, not zone="a"
  EXPECT_FALSE(s.values[6].has_value());
  EXPECT_FALSE(s.values[7].has_value());
  EXPECT_FALSE(s.values[8].has_value());  // NaN is no value
  EXPECT_FALSE(s.values[9].has_value());  // nor is a sum with NaN in it
  EXPECT_EQ(s.values[10], 1.0);
  EXPECT_EQ(s.stats.malformed, 1u);
  EXPECT_EQ(s.stats.first_malformed, 16u);
  EXPECT_EQ(s.stats.samples, 12u);
}

TEST(ScrapeSelectionTest, InfinitiesAreValues) {
  ScrapeSelection s =
      selectScrapedValues("up +Inf\ndown -Inf\n", {metric("up", "up"), metric("down", "down")});
  EXPECT_EQ(s.values[0], HUGE_VAL);
  EXPECT_EQ(s.values[1], -HUGE_VAL);
}

TEST(ScrapeSelectionTest, EmptyBody) {
  ScrapeSelection s = selectScrapedValues("", {metric("depth", "app_queue_depth")});
  ASSERT_EQ(s.values.size(), 1u);
  EXPECT_FALSE(s.values[0].has_value());
  EXPECT_EQ(s.stats.samples, 0u);
}

}  // namespace
}  // namespace tidegate::server
