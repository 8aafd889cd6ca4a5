// ControlVm and tg.timer.every. Timers report through tg.shared.state, as real control
// scripts would (each script keeps its globals to itself).

#include <gtest/gtest.h>

#include "fake_contexts.h"
#include "lua/control_vm.h"
#include "lua/shared_dict.h"

namespace tidegate::lua {
namespace {

class ControlVmTest : public ::testing::Test {
 protected:
  ControlVmTest() {
    dicts_.add("state", 1 << 20);
    VmOptions options;
    options.now = [this] { return now_; };
    options.time_limit = std::chrono::milliseconds(20);
    options.shared_dicts = &dicts_;
    auto control = ControlVm::create(options);
    EXPECT_TRUE(control.ok());
    control_ = std::move(control.value());
  }
  Result<Ok> run(const std::string& name, const std::string& code) {
    return control_->run(ScriptSource::fromString(name, code));
  }
  double number(const char* key) {
    SharedDict::Value v;
    if (dicts_.find("state")->get(key, v) != SharedDict::Status::kOk) return -1;
    return v.number;
  }

  double now_ = 100;
  SharedDicts dicts_;
  std::unique_ptr<ControlVm> control_;
};

TEST_F(ControlVmTest, TimersRunWhenDue) {
  ASSERT_TRUE(run("timers.lua", R"(
    local state = tg.shared.state
    state:set('ticks', 0)
    state:set('fast', 0)
    tg.timer.every(1, function() state:incr('ticks', 1) end)
    tg.timer.every(0.25, function() state:incr('fast', 1) end)
  )")
                  .ok());
  EXPECT_EQ(control_->timerCount(), 2u);
  control_->tick(100.5);
  EXPECT_EQ(number("ticks"), 0);
  EXPECT_EQ(number("fast"), 1);
  control_->tick(101);
  EXPECT_EQ(number("ticks"), 1);
  EXPECT_EQ(number("fast"), 2);
  // A long pause: each timer runs once, missed periods are skipped.
  control_->tick(110);
  EXPECT_EQ(number("ticks"), 2);
  EXPECT_EQ(number("fast"), 3);
  control_->tick(110.1);
  EXPECT_EQ(number("fast"), 3);
  control_->tick(111);
  EXPECT_EQ(number("ticks"), 3);
  EXPECT_EQ(number("fast"), 4);
}

TEST_F(ControlVmTest, AFailingTimerIsLoggedAndKept) {
  ASSERT_TRUE(run("bad.lua", R"(
    tg.timer.every(1, function() tg.shared.state:incr('n', 1, 0) error('boom') end)
    tg.timer.every(1, function() while true do end end)
  )")
                  .ok());
  control_->tick(101);
  control_->tick(102);
  EXPECT_EQ(control_->timerErrors(), 4u);
  EXPECT_EQ(control_->timerCount(), 2u);
  EXPECT_EQ(number("n"), 2);
}

TEST_F(ControlVmTest, CancelAndClear) {
  ASSERT_TRUE(run("c.lua", R"(
    local id
    id = tg.timer.every(1, function()
      if tg.shared.state:incr('n', 1, 0) == 2 then tg.timer.cancel(id) end
    end)
    assert(tg.timer.cancel(12345) == false)
  )")
                  .ok());
  for (int i = 1; i <= 5; ++i)
    control_->tick(100 + i);
  EXPECT_EQ(number("n"), 2);
  EXPECT_EQ(control_->timerCount(), 0u);
  ASSERT_TRUE(run("d.lua", "tg.timer.every(1, function() end)").ok());
  EXPECT_EQ(control_->timerCount(), 1u);
  control_->clearTimers();
  EXPECT_EQ(control_->timerCount(), 0u);
}

TEST_F(ControlVmTest, TimersAddedByTimersStartOnALaterTick) {
  ASSERT_TRUE(run("nested.lua", R"(
    tg.shared.state:set('inner', 0)
    tg.timer.every(1, function()
      tg.timer.every(1, function() tg.shared.state:incr('inner', 1) end)
    end)
  )")
                  .ok());
  control_->tick(101);
  EXPECT_EQ(control_->timerCount(), 2u);
  EXPECT_EQ(number("inner"), 0);
  control_->tick(102);
  EXPECT_EQ(number("inner"), 1);
}

TEST_F(ControlVmTest, BadArgumentsAndErrors) {
  auto r = run("a.lua", "tg.timer.every(0, function() end)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "a.lua:1: tg.timer.every: the interval must be >= 0.001 s");
  auto s = run("b.lua", "local x = \n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "b.lua:2: unexpected symbol near '<eof>'");
}

TEST(ControlVmWorkerTest, WorkerVmsHaveNoTimers) {
  auto vm = testing::makeVm();
  EXPECT_EQ(testing::eval(*vm, "return tg.timer"), "nil");
}

}  // namespace
}  // namespace tidegate::lua
