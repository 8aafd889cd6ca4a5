// Hook failures: a runtime error, a runaway loop or a memory hog fails that request with 500,
// is counted per script, and leaves the VM (and other scripts in it) working.

#include <gtest/gtest.h>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::FakeRequest;
using testing::FakeResponse;

TEST(HooksTest, RuntimeErrorFailsWith500AndSaysScriptLine) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm,
                                    "local M = {}\n"
                                    "function M.on_request(req)\n"
                                    "  local user = nil\n"
                                    "  return user.name\n"
                                    "end\n"
                                    "return M\n",
                                    "routes/api.lua");
  FakeRequest req;
  HookOutcome out = runOnRequest(*script, req);
  EXPECT_EQ(out.action, HookAction::kFail);
  EXPECT_EQ(out.error, "routes/api.lua:4: attempt to index local 'user' (a nil value)");
  EXPECT_EQ(script->counters().errors.load(), 1u);
  EXPECT_EQ(script->counters().time_limit_exceeded.load(), 0u);
  EXPECT_EQ(script->counters().out_of_memory.load(), 0u);
}

TEST(HooksTest, RunawayHookFailsThatRequestOnly) {
  auto vm = testing::makeVm(testing::withTimeLimit(std::chrono::milliseconds(20)));
  auto spin = testing::loadScript(*vm,
                                  "return { on_request = function(req)\n"
                                  "  if req:path() == '/spin' then while true do end end\n"
                                  "end }",
                                  "spin.lua");
  auto other = testing::loadScript(*vm,
                                   "return { on_request = function(req) "
                                   "req:set_header('X-Other', 'ok') end }",
                                   "other.lua");
  FakeRequest bad;
  bad.path_ = "/spin";
  HookOutcome out = runOnRequest(*spin, bad);
  EXPECT_EQ(out.action, HookAction::kFail);
  EXPECT_EQ(out.error, "spin.lua:2: time limit exceeded (20 ms of CPU)");
  EXPECT_EQ(spin->counters().time_limit_exceeded.load(), 1u);
  // The same script on another request, and another script: fine.
  FakeRequest good;
  EXPECT_EQ(runOnRequest(*spin, good).action, HookAction::kContinue);
  EXPECT_EQ(runOnRequest(*other, good).action, HookAction::kContinue);
  EXPECT_EQ(good.header("x-other"), "ok");
  EXPECT_EQ(spin->counters().errors.load(), 1u);
}

TEST(HooksTest, MemoryHogFailsThatRequestOnly) {
  auto vm = testing::makeVm(testing::withMemory(16 << 20));
  auto hog = testing::loadScript(*vm, R"(
    local keep = {}
    return { on_request = function(req)
      if req:path() == '/hog' then
        local t = {}
        for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end
      end
      keep[#keep + 1] = req:path()
    end })",
                                 "hog.lua");
  FakeRequest bad;
  bad.path_ = "/hog";
  HookOutcome out = runOnRequest(*hog, bad);
  EXPECT_EQ(out.action, HookAction::kFail);
  EXPECT_EQ(out.error.rfind("hog.lua: not enough memory", 0), 0u) << out.error;
  EXPECT_EQ(hog->counters().out_of_memory.load(), 1u);
  FakeRequest good;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(runOnRequest(*hog, good).action, HookAction::kContinue);
  }
  EXPECT_LT(vm->memoryUsed(), size_t{4} << 20);
}

TEST(HooksTest, OnResponseErrorFails) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm,
                                    "return { on_response = function(req, resp)\n"
                                    "  resp:set_header('X', nil .. 'x')\nend }",
                                    "r.lua");
  FakeRequest req;
  FakeResponse resp;
  HookOutcome out = runOnResponse(*script, req, resp);
  EXPECT_EQ(out.action, HookAction::kFail);
  EXPECT_EQ(out.error, "r.lua:2: attempt to concatenate a nil value");
}

TEST(HooksTest, OnLogErrorIsCountedOnly) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm, "return { on_log = function() error('late') end }");
  FakeRequest req;
  FakeResponse resp;
  runOnLog(*script, req, resp, LogTimings{});
  EXPECT_EQ(script->counters().errors.load(), 1u);
}

TEST(HooksTest, MissingHooksContinue) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm, "return {}");
  FakeRequest req;
  FakeResponse resp;
  EXPECT_EQ(runOnRequest(*script, req).action, HookAction::kContinue);
  EXPECT_EQ(runOnResponse(*script, req, resp).action, HookAction::kContinue);
  runOnLog(*script, req, resp, LogTimings{});
  EXPECT_EQ(lua_gettop(vm->state()), LuaVm::kIdleStackTop);
}

TEST(HooksTest, StackStaysBalanced) {
  auto vm = testing::makeVm();
  int pool = 0;
  testing::FakeBackend a("a");
  auto set =
      std::make_shared<testing::FakeBackendSet>(&pool, 1, std::vector<testing::FakeBackend*>{&a});
  auto ok = testing::loadScript(*vm, R"(return {
    on_request = function() return 1, 2, 3 end,
    balance = function(req, b) return b[1], 'extra' end,
    on_response = function() return 'x' end,
    on_log = function() return 'y' end })");
  auto bad = testing::loadScript(*vm, R"(return {
    on_request = function() error('a') end,
    balance = function() error('b') end,
    on_response = function() error('c') end,
    on_log = function() error('d') end })");
  for (const Script* s : {ok.get(), bad.get()}) {
    FakeRequest req;
    FakeResponse resp;
    runOnRequest(*s, req);
    runBalance(*s, req, set);
    runOnResponse(*s, req, resp);
    runOnLog(*s, req, resp, LogTimings{});
    EXPECT_EQ(lua_gettop(vm->state()), LuaVm::kIdleStackTop);
  }
}

}  // namespace
}  // namespace tidegate::lua
