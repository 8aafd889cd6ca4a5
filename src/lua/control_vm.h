#pragma once
// ControlVm: the control plane's Lua VM, where tg.timer.every(seconds, fn) registers periodic
// functions (and, later, scaling policies run). The control thread owns it: it loads control
// scripts and calls tick(now) on its own schedule; due timers run there, one at a time, each
// under the time limit. A failing timer is logged and counted, and stays scheduled.

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "lua/script.h"
#include "lua/vm.h"

namespace tidegate::lua {

class ControlVm {
 public:
  // `options.control` is forced on (tg.timer exists only here).
  static Result<std::unique_ptr<ControlVm>> create(VmOptions options);
  ~ControlVm();

  LuaVm& vm() { return *vm_; }

  // Runs a control script's top level in its own environment; whatever it returns is ignored.
  // Its timers are registered as it runs.
  Result<Ok> run(std::shared_ptr<const ScriptSource> source,
                 std::shared_ptr<ModuleSources> modules = nullptr);

  // Runs every timer due at `now` (seconds on the VM's clock, VmOptions::now): a timer is due
  // `interval` after it was registered or last due; missed periods are skipped, not replayed.
  // Timers a timer registers first run on a later tick.
  void tick(double now);
  // Drops every timer (before loading a new generation of control scripts).
  void clearTimers();

  size_t timerCount() const;
  uint64_t timerErrors() const { return timer_errors_; }

  // For api/timer.cc: registers `fn_ref` (a registry reference this object now owns).
  int addTimer(double interval_seconds, int fn_ref);
  bool cancelTimer(int id);

 private:
  struct Timer {
    int id;
    double interval;
    double next;
    int fn_ref;
    bool cancelled;
  };

  explicit ControlVm(std::unique_ptr<LuaVm> vm) : vm_(std::move(vm)) {}

  std::unique_ptr<LuaVm> vm_;
  std::vector<Timer> timers_;
  int next_id_ = 1;
  uint64_t timer_errors_ = 0;
  int64_t last_log_ms_ = -1'000'000;
};

}  // namespace tidegate::lua
