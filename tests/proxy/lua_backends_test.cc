// What b:metric(name) reads through PoolBackendView: the load header's value as "load", the
// scraped values by their names while fresh; and when a PoolBackendSet counts as unchanged.

#include "proxy/lua_backends.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "net/address.h"

namespace tidegate::proxy {
namespace {

upstream::BackendPtr backend(const char* address) {
  return std::make_shared<upstream::Backend>(address, *net::parseAddress(address), 1);
}

std::optional<double> metric(const lua::BackendView& view, std::string_view name) {
  double v = 0;
  if (!view.metric(name, v)) return std::nullopt;
  return v;
}

TEST(LuaBackendsTest, LoadHeaderAndScrapedValues) {
  auto b = backend("127.0.0.1:9001");
  auto scraped =
      std::make_shared<upstream::ScrapedValues>(std::vector<std::string>{"depth", "cpu"});
  PoolBackendView view(b, scraped);
  EXPECT_FALSE(metric(view, "load").has_value());
  EXPECT_FALSE(metric(view, "depth").has_value());  // never scraped

  b->stats().reported_load.store(0.73);
  const int64_t now = coarseNowMs();
  scraped->store(0, 12, now + 60'000);
  scraped->store(1, 0.5, now - 1);  // already stale
  EXPECT_EQ(metric(view, "load"), 0.73);
  EXPECT_EQ(metric(view, "depth"), 12.0);
  EXPECT_FALSE(metric(view, "cpu").has_value());
  EXPECT_FALSE(metric(view, "other").has_value());

  // A pool without scrape: only "load".
  PoolBackendView plain(b, nullptr);
  EXPECT_EQ(metric(plain, "load"), 0.73);
  EXPECT_FALSE(metric(plain, "depth").has_value());
}

TEST(LuaBackendsTest, FreshnessIsDecidedByTheReadersClock) {
  upstream::ScrapedValues values({"depth"});
  double v = 0;
  EXPECT_FALSE(values.read("depth", 1000, v));
  values.store(0, 3, 2000);
  EXPECT_TRUE(values.read("depth", 1999, v));
  EXPECT_EQ(v, 3);
  EXPECT_FALSE(values.read("depth", 2000, v));
  EXPECT_FALSE(values.read("other", 1500, v));
}

TEST(LuaBackendsTest, SetsCompareBackendsAndScrapedBlocks) {
  std::vector<upstream::BackendPtr> backends = {backend("127.0.0.1:9001"),
                                                backend("127.0.0.1:9002")};
  PoolBackendSet::Scraped blocks = {
      std::make_shared<upstream::ScrapedValues>(std::vector<std::string>{"depth"}),
      std::make_shared<upstream::ScrapedValues>(std::vector<std::string>{"depth"})};
  int pool = 0;
  PoolBackendSet set(&pool, 1, backends, blocks);
  EXPECT_TRUE(set.sameAs(backends, blocks));
  EXPECT_FALSE(set.sameAs(backends));  // the pool stopped scraping
  PoolBackendSet::Scraped renamed = {
      blocks[0], std::make_shared<upstream::ScrapedValues>(std::vector<std::string>{"cpu"})};
  EXPECT_FALSE(set.sameAs(backends, renamed));
  PoolBackendSet plain(&pool, 2, backends);
  EXPECT_TRUE(plain.sameAs(backends));
  EXPECT_FALSE(plain.sameAs(backends, blocks));

  blocks[1]->store(0, 4, coarseNowMs() + 60'000);
  EXPECT_EQ(metric(set.at(1), "depth"), 4.0);
  EXPECT_FALSE(metric(set.at(0), "depth").has_value());
}

}  // namespace
}  // namespace tidegate::proxy
