// LuaVm: time limit, memory cap, error messages.

#include <gtest/gtest.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using namespace std::chrono_literals;

using testing::eval;
using testing::makeVm;

TEST(VmTest, RunawayLoopIsAbortedAndTheVmGoesOn) {
  auto vm = makeVm(testing::withTimeLimit(20ms));
  // The loop on one line: the stop lands on whichever of its instructions runs next.
  const std::string error = eval(*vm, "local x = 0\nwhile true do x = x + 1 end");
  EXPECT_NE(error.find("eval:2: time limit exceeded (20 ms of CPU)"), std::string::npos) << error;
  EXPECT_TRUE(vm->timeLimitExceeded());
  EXPECT_EQ(eval(*vm, "return 1 + 1"), "2");
  EXPECT_FALSE(vm->timeLimitExceeded());
  // An empty loop too (LuaJIT would compile it, and traces never run hooks).
  EXPECT_NE(eval(*vm, "while true do end").find("time limit exceeded"), std::string::npos);
  EXPECT_EQ(eval(*vm, "local s = 0 for i = 1, 1000 do s = s + i end return s"), "500500");
}

TEST(VmTest, AfterAnIdleSpellTheParkedWatchdogStillStopsARunaway) {
  const long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (commands < 0 || !(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
    GTEST_SKIP() << "no membarrier(2) here: the watchdog never parks";
  }
  auto vm = makeVm(testing::withTimeLimit(20ms));
  EXPECT_EQ(eval(*vm, "return 1"), "1");
  // Nothing runs now, so the watchdog parks instead of waking every few milliseconds.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!CallWatch::watchdogParked() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(CallWatch::watchdogParked());
  // The first call after the spell wakes it: a runaway is stopped as before.
  EXPECT_NE(eval(*vm, "while true do end").find("time limit exceeded"), std::string::npos);
  EXPECT_EQ(eval(*vm, "return 2"), "2");
}

TEST(VmTest, PcallInTheScriptCannotSwallowTheLimit) {
  auto vm = makeVm(testing::withTimeLimit(20ms));
  const std::string error = eval(*vm,
                                 "while true do\n"
                                 "  pcall(function() while true do end end)\n"
                                 "end");
  EXPECT_NE(error.find("time limit exceeded"), std::string::npos) << error;
  EXPECT_EQ(eval(*vm, "return 'still here'"), "still here");
}

TEST(VmTest, LimitCoversRecursionMetamethodsAndCoroutines) {
  auto vm = makeVm(testing::withTimeLimit(20ms));
  EXPECT_NE(eval(*vm,
                 "local t = setmetatable({}, {__index = function(t, k) while true do end "
                 "end}) return t.x")
                .find("time limit exceeded"),
            std::string::npos);
  EXPECT_NE(
      eval(*vm, "local function f(n) return f(n + 1) end return f(1)").find("time limit exceeded"),
      std::string::npos);
  // The hook is global to the VM, so a loop inside a coroutine is stopped as well, and
  // resuming it again cannot escape.
  EXPECT_NE(eval(*vm,
                 "local co = coroutine.create(function() while true do end end)\n"
                 "while true do coroutine.resume(co) end")
                .find("time limit exceeded"),
            std::string::npos);
  EXPECT_EQ(eval(*vm, "return 'still here'"), "still here");
}

TEST(VmTest, LimitIsPerCall) {
  // Each call spins 100 ms of wall time, so it uses at most 100 ms of CPU, under the 300 ms
  // limit however slow the machine; five of them use more than the limit together.
  auto vm = makeVm(testing::withTimeLimit(300ms));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(eval(*vm,
                   "local t0 = tg.now() local n = 0\n"
                   "while tg.now() - t0 < 0.1 do n = n + 1 end return 'done'"),
              "done");
  }
  EXPECT_FALSE(vm->timeLimitExceeded());
}

TEST(VmTest, AStopSignalBetweenCallsIsIgnored) {
  auto vm = makeVm(testing::withTimeLimit(20ms));
  ASSERT_EQ(raise(SIGRTMIN + 2), 0);  // the watchdog's signal, with no call running
  EXPECT_EQ(eval(*vm, "local s = 0 for i = 1, 100000 do s = s + 1 end return s"), "100000");
  EXPECT_FALSE(vm->timeLimitExceeded());
}

TEST(VmTest, MemoryHogFailsAndTheVmGoesOn) {
  auto vm = makeVm(testing::withMemory(8 << 20));
  const std::string error = eval(*vm, "local t = {} for i = 1, 1e8 do t[i] = {i} end");
  EXPECT_NE(error.find("not enough memory"), std::string::npos) << error;
  EXPECT_LE(vm->memoryUsed(), vm->memoryLimit());
  // The hog's garbage was collected after the failure: plenty of room again.
  EXPECT_LT(vm->memoryUsed(), size_t{2} << 20);
  EXPECT_EQ(eval(*vm, "local t = {} for i = 1, 1000 do t[i] = i end return #t"), "1000");
  EXPECT_NE(eval(*vm, "return string.rep('x', 64 * 1024 * 1024)").find("not enough memory"),
            std::string::npos);
  EXPECT_EQ(eval(*vm, "return #string.rep('x', 1024)"), "1024");
}

TEST(VmTest, MemoryCapIsAccounted) {
  auto vm = makeVm(testing::withMemory(16 << 20));
  const size_t before = vm->memoryUsed();
  EXPECT_GT(before, 0u);
  EXPECT_EQ(eval(*vm, "big = string.rep('y', 1024 * 1024) return #big"), "1048576");
  EXPECT_GE(vm->memoryUsed(), before + (1 << 20));
  EXPECT_EQ(eval(*vm, "big = nil collectgarbage() return 1"), "1");
  EXPECT_LT(vm->memoryUsed(), before + (1 << 20));
}

TEST(VmTest, TooSmallACapFailsCreationCleanly) {
  auto vm = LuaVm::create(testing::withMemory(4096));
  ASSERT_FALSE(vm.ok());
  EXPECT_NE(vm.error().message().find("lua:"), std::string::npos);
}

TEST(VmTest, ErrorsSayScriptAndLine) {
  auto vm = makeVm();
  EXPECT_EQ(eval(*vm, "local x = nil\nreturn x.field"),
            "error: eval:2: attempt to index local 'x' (a nil value)");
  EXPECT_EQ(eval(*vm, "\n\nerror('boom')"), "error: eval:3: boom");
  // No position in the message: the handler adds where it was raised.
  EXPECT_EQ(eval(*vm, "\nerror('bare', 0)"), "error: eval:2: bare");
  EXPECT_EQ(eval(*vm, "error({code = 1})"), "error: eval:1: (error object is a table value)");
}

TEST(VmTest, SyntaxErrorsSayScriptAndLine) {
  auto vm = makeVm();
  auto loaded = vm->load("local a = 1\nlocal b = = 2\n", "@routes/api.lua");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message(), "routes/api.lua:2: unexpected symbol near '='");
  EXPECT_EQ(lua_gettop(vm->state()), LuaVm::kIdleStackTop);
}

TEST(VmTest, TgNowUsesTheInjectedClock) {
  double now = 1000.25;
  auto vm = makeVm(testing::withClock([&] { return now; }));
  EXPECT_EQ(eval(*vm, "return tg.now()"), "1000.25");
  now = 2000.5;
  EXPECT_EQ(eval(*vm, "return tg.now()"), "2000.5");
}

TEST(VmTest, TgNowDefaultsToTheWallClock) {
  auto vm = makeVm();
  const std::string now = eval(*vm, "return tg.now()");
  const double seconds = std::stod(now);
  EXPECT_GT(seconds, 1.7e9);
  EXPECT_EQ(eval(*vm, "return math.abs(tg.now() - os.time()) < 2"), "true");
}

TEST(VmTest, EachVmHasItsOwnRandomSequence) {
  auto a = makeVm();
  auto b = makeVm();
  const std::string code =
      "local t = {} for i = 1, 8 do t[i] = math.random(1e6) end "
      "return table.concat(t, ',')";
  EXPECT_NE(eval(*a, code), eval(*b, code));
}

}  // namespace
}  // namespace tidegate::lua
