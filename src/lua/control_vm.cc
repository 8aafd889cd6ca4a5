#include "lua/control_vm.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "lua/builtins.h"

namespace tidegate::lua {

Result<std::unique_ptr<ControlVm>> ControlVm::create(VmOptions options) {
  options.control = true;
  auto vm = LuaVm::create(std::move(options));
  if (!vm) return vm.error();
  std::unique_ptr<ControlVm> control(new ControlVm(std::move(vm.value())));
  control->vm_->setTimerSink(control.get());
  return control;
}

ControlVm::~ControlVm() {
  clearTimers();
}

Result<Ok> ControlVm::run(std::shared_ptr<const ScriptSource> source,
                          std::shared_ptr<ModuleSources> modules) {
  lua_State* L = vm_->state();
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm_->builtinRef(Builtin::kLoadModule));
  auto compiled = vm_->load(source->code(), source->chunkName());
  if (!compiled) {
    lua_pop(L, 1);
    return compiled.error();
  }
  lua_pushlightuserdata(L, nullptr);  // no Script: a control script
  lua_pushlightuserdata(L, &modules);
  CallState& call = vm_->callState();
  const Phase saved = call.phase;
  call.phase = Phase::kLoad;
  std::string error;
  const int status = vm_->protectedCall(3, 0, error);
  call.phase = saved;
  if (status != 0) {
    if (status == LUA_ERRMEM) error = source->name() + ": " + error;
    return Error(ErrorSource::kScript, std::move(error));
  }
  return Ok{};
}

int ControlVm::addTimer(double interval_seconds, int fn_ref) {
  const int id = next_id_++;
  timers_.push_back(Timer{id, interval_seconds, vm_->now() + interval_seconds, fn_ref, false});
  return id;
}

bool ControlVm::cancelTimer(int id) {
  for (Timer& t : timers_) {
    if (t.id == id && !t.cancelled) {
      t.cancelled = true;
      return true;
    }
  }
  return false;
}

size_t ControlVm::timerCount() const {
  return static_cast<size_t>(
      std::count_if(timers_.begin(), timers_.end(), [](const Timer& t) { return !t.cancelled; }));
}

void ControlVm::tick(double now) {
  lua_State* L = vm_->state();
  CallState& call = vm_->callState();
  const size_t count = timers_.size();  // timers added by timers wait for the next tick
  for (size_t i = 0; i < count; ++i) {
    if (timers_[i].cancelled || timers_[i].next > now) continue;
    Timer& due = timers_[i];
    due.next += due.interval;
    if (due.next <= now) due.next = now + due.interval;  // skip missed periods
    lua_rawgeti(L, LUA_REGISTRYINDEX, due.fn_ref);
    const int id = due.id;  // timers_ may grow (and move) during the call
    const Phase saved = call.phase;
    call.phase = Phase::kTimer;
    std::string error;
    const int status = vm_->protectedCall(0, 0, error);
    call.phase = saved;
    if (status != 0) {
      ++timer_errors_;
      const int64_t now_ms = coarseNowMs();
      if (now_ms - last_log_ms_ >= 1000) {
        log::error("lua: timer {} failed (it stays scheduled): {}", id, error);
        last_log_ms_ = now_ms;
      }
    }
  }
  // Drop cancelled timers and their functions.
  auto dead = std::stable_partition(timers_.begin(), timers_.end(),
                                    [](const Timer& t) { return !t.cancelled; });
  for (auto it = dead; it != timers_.end(); ++it)
    luaL_unref(L, LUA_REGISTRYINDEX, it->fn_ref);
  timers_.erase(dead, timers_.end());
}

void ControlVm::clearTimers() {
  for (const Timer& t : timers_)
    luaL_unref(vm_->state(), LUA_REGISTRYINDEX, t.fn_ref);
  timers_.clear();
}

}  // namespace tidegate::lua
