// lua.time_limit: the per-call CPU-time limit of every Lua VM (lua/vm.h).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace tidegate::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

LoadResult load(std::string_view lua_line) {
  std::string yaml = "listen: \"127.0.0.1:8080\"\nlua:\n  ";
  yaml += lua_line;
  yaml += "\n";
  return loadConfigString(yaml, "t.yaml");
}

std::vector<std::string> errorsOf(std::string_view lua_line) {
  LoadResult r = load(lua_line);
  EXPECT_FALSE(r.config.has_value());
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors)
    out.push_back(d.toString());
  return out;
}

TEST(LuaTimeLimitTest, DefaultsToTenMilliseconds) {
  LoadResult r = loadConfigString("listen: \"127.0.0.1:8080\"\n", "t.yaml");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->lua.time_limit, std::chrono::milliseconds(10));
}

TEST(LuaTimeLimitTest, TakesADuration) {
  LoadResult r = load("time_limit: 250ms");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->lua.time_limit, std::chrono::milliseconds(250));
  r = load("time_limit: 2s");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->lua.time_limit, std::chrono::seconds(2));
}

TEST(LuaTimeLimitTest, RefusesZeroTooLongAndNonsense) {
  EXPECT_THAT(errorsOf("time_limit: 0ms"),
              ElementsAre("t.yaml:3:15: lua.time_limit: must be longer than 0"));
  EXPECT_THAT(errorsOf("time_limit: 2m"), ElementsAre("t.yaml:3:15: lua.time_limit: at most 60s"));
  EXPECT_THAT(errorsOf("time_limit: soon"), ElementsAre(HasSubstr("t.yaml:3:15: lua.time_limit")));
}

TEST(LuaTimeLimitTest, TheOldInstructionBudgetKeyIsUnknown) {
  EXPECT_THAT(errorsOf("instruction_budget: 1000"),
              ElementsAre(HasSubstr("t.yaml:3:3: lua: unknown key 'instruction_budget'")));
}

}  // namespace
}  // namespace tidegate::config
