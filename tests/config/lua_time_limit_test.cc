// lua.time_limit: the per-call CPU-time limit of every Lua VM (lua/vm.h).

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
using ::testing::HasSubstr;

std::string withLua(std::string_view lua_line) {
  return "listen: \"127.0.0.1:8080\"\nlua:\n  " + std::string(lua_line) + "\n";
}

LoadResult load(std::string_view lua_line) {
  return loadConfigString(withLua(lua_line), "t.yaml");
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
  EXPECT_THAT(errorsOf(withLua("time_limit: 0ms")),
              ElementsAre("t.yaml:3:15: lua.time_limit: must be longer than 0"));
  EXPECT_THAT(errorsOf(withLua("time_limit: 2m")),
              ElementsAre("t.yaml:3:15: lua.time_limit: at most 60s"));
  EXPECT_THAT(errorsOf(withLua("time_limit: soon")),
              ElementsAre(HasSubstr("t.yaml:3:15: lua.time_limit")));
}

TEST(LuaTimeLimitTest, TheOldInstructionBudgetKeyIsUnknown) {
  EXPECT_THAT(errorsOf(withLua("instruction_budget: 1000")),
              ElementsAre(HasSubstr("t.yaml:3:3: lua: unknown key 'instruction_budget'")));
}

}  // namespace
}  // namespace tidegate::config
