// ControlVm and tg.timer.every.

#include <gtest/gtest.h>

#include "fake_contexts.h"
#include "lua/control_vm.h"

namespace tidegate::lua {
namespace {

std::unique_ptr<ControlVm> makeControl(double& now, int budget = 100000) {
  VmOptions options;
  options.now = [&now] { return now; };
  options.instruction_budget = budget;
  auto control = ControlVm::create(options);
  EXPECT_TRUE(control.ok());
  return std::move(control.value());
}

// Control scripts keep globals in their own environment; these tests share them through _G.
TEST(ControlVmTest, TimersRunWhenDue) {
  double now = 100;
  auto control = makeControl(now);
  ASSERT_TRUE(control
                  ->run(ScriptSource::fromString("timers.lua", R"(
    _G.ticks = 0
    _G.fast = 0
    tg.timer.every(1, function() _G.ticks = _G.ticks + 1 end)
    tg.timer.every(0.25, function() _G.fast = _G.fast + 1 end)
  )"))
                  .ok());
  EXPECT_EQ(control->timerCount(), 2u);
  control->tick(100.5);
  EXPECT_EQ(testing::eval(control->vm(), "return ticks .. '/' .. fast"), "0/1");
  control->tick(101);
  EXPECT_EQ(testing::eval(control->vm(), "return ticks .. '/' .. fast"), "1/2");
  // A long pause: each timer runs once, missed periods are skipped.
  control->tick(110);
  EXPECT_EQ(testing::eval(control->vm(), "return ticks .. '/' .. fast"), "2/3");
  control->tick(110.1);
  EXPECT_EQ(testing::eval(control->vm(), "return ticks .. '/' .. fast"), "2/3");
  control->tick(111);
  EXPECT_EQ(testing::eval(control->vm(), "return ticks .. '/' .. fast"), "3/4");
}

TEST(ControlVmTest, AFailingTimerIsLoggedAndKept) {
  double now = 0;
  auto control = makeControl(now);
  ASSERT_TRUE(control
                  ->run(ScriptSource::fromString("bad.lua", R"(
    _G.n = 0
    tg.timer.every(1, function() _G.n = _G.n + 1 error('boom') end)
    tg.timer.every(1, function() while true do end end)
  )"))
                  .ok());
  control->tick(1);
  control->tick(2);
  EXPECT_EQ(control->timerErrors(), 4u);
  EXPECT_EQ(control->timerCount(), 2u);
  EXPECT_EQ(testing::eval(control->vm(), "return n"), "2");
}

TEST(ControlVmTest, CancelAndClear) {
  double now = 0;
  auto control = makeControl(now);
  ASSERT_TRUE(control
                  ->run(ScriptSource::fromString("c.lua", R"(
    _G.n = 0
    local id
    id = tg.timer.every(1, function() _G.n = _G.n + 1 if _G.n == 2 then tg.timer.cancel(id) end end)
    assert(tg.timer.cancel(12345) == false)
  )"))
                  .ok());
  for (int i = 1; i <= 5; ++i)
    control->tick(i);
  EXPECT_EQ(testing::eval(control->vm(), "return n"), "2");
  EXPECT_EQ(control->timerCount(), 0u);
  ASSERT_TRUE(
      control->run(ScriptSource::fromString("d.lua", "tg.timer.every(1, function() end)")).ok());
  EXPECT_EQ(control->timerCount(), 1u);
  control->clearTimers();
  EXPECT_EQ(control->timerCount(), 0u);
}

TEST(ControlVmTest, TimersAddedByTimersStartOnALaterTick) {
  double now = 0;
  auto control = makeControl(now);
  ASSERT_TRUE(control
                  ->run(ScriptSource::fromString("nested.lua", R"(
    _G.inner = 0
    tg.timer.every(1, function()
      tg.timer.every(1, function() _G.inner = _G.inner + 1 end)
    end)
  )"))
                  .ok());
  control->tick(1);
  EXPECT_EQ(control->timerCount(), 2u);
  EXPECT_EQ(testing::eval(control->vm(), "return inner"), "0");
  control->tick(2);
  EXPECT_EQ(testing::eval(control->vm(), "return inner"), "1");
}

TEST(ControlVmTest, BadArgumentsAndErrors) {
  double now = 0;
  auto control = makeControl(now);
  auto r = control->run(ScriptSource::fromString("a.lua", "tg.timer.every(0, function() end)"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "a.lua:1: tg.timer.every: the interval must be >= 0.001 s");
  auto s = control->run(ScriptSource::fromString("b.lua", "local x = \n"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "b.lua:2: unexpected symbol near '<eof>'");
}

TEST(ControlVmTest, WorkerVmsHaveNoTimers) {
  auto vm = testing::makeVm();
  EXPECT_EQ(testing::eval(*vm, "return tg.timer"), "nil");
}

}  // namespace
}  // namespace tidegate::lua
