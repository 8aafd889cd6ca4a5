#pragma once
// CallWatch: stops a Lua call that runs past its CPU-time limit, without costing a call that
// does not.
//
// Why not a count hook on every call: a count hook makes the interpreter dispatch every VM
// instruction through the hook check, which cost 30-50% of a typical hook's time (measured:
// docs/benchmarks.md, "Lua"). Instead, the running call only bumps a sequence number at its
// start and end. One process-wide watchdog thread looks at every watched VM a few times per
// limit; when the same call is still running and its thread has used `limit` of CPU time
// since the watchdog first saw it, the watchdog signals that thread, and the signal handler
// arms a count hook (lua_sethook is documented async-signal-safe in LuaJIT) that fails the
// call at its next VM instruction. Only the owning thread ever touches the lua_State.
//
// An idle gateway costs no wake-ups: after a spell with no call begun or ended on any VM, the
// watchdog parks on a futex, and the next begin() wakes it (one syscall per idle spell, never
// per call). A call cannot slip past a parking watchdog, and begin() pays no fence for it: the
// pair is an asymmetric Dekker. begin() stores its odd sequence number, then reads the parked
// flag; the watchdog raises the flag, runs membarrier(2), which makes every thread of the
// process pass a full memory barrier, and only then takes its last look at the sequence
// numbers. So either the watchdog sees the call or the call sees the flag. Where membarrier is
// not available the watchdog never parks.
//
// Limits of the method, by design: time spent inside one C function (a pathological
// string.find pattern, say) is not interrupted until it returns to Lua; and the JIT stays off
// (lua/vm.h), because compiled traces never run hooks.

#include <sys/types.h>
#include <lua.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>

namespace tidegate::lua {

class CallWatch {
 public:
  // Watches calls on `L`; `stop_hook` is installed as a count hook to stop one. Registers with
  // the watchdog (starting it on first use).
  CallWatch(lua_State* L, lua_Hook stop_hook, std::chrono::nanoseconds limit);
  ~CallWatch();
  CallWatch(const CallWatch&) = delete;
  CallWatch& operator=(const CallWatch&) = delete;

  std::chrono::nanoseconds limit() const { return std::chrono::nanoseconds(limit_ns_); }

  // Around one outermost call, on the thread that makes it.
  void begin() {
    const ThreadIds& ids = currentThread();
    if (ids.tid != tid_.load(std::memory_order_relaxed)) {
      cpu_clock_.store(ids.cpu_clock, std::memory_order_relaxed);
      tid_.store(ids.tid, std::memory_order_relaxed);
    }
    outer_ = running_;
    running_ = this;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    // Odd while a call runs; release: the watchdog that sees it also sees tid and clock.
    seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    // The light side of the fence pair (see the top): the watchdog's membarrier is the heavy one.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (watchdog_parked_.load(std::memory_order_relaxed) != 0) wakeWatchdog();
  }
  // Returns whether the stop hook had been armed (it is removed again).
  bool end() {
    seq_.store(seq_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    running_ = outer_;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (!armed_) return false;
    armed_ = 0;
    lua_sethook(L_, nullptr, 0, 0);
    return true;
  }

 private:
  friend class Watchdog;
  struct ThreadIds {
    pid_t tid = 0;
    clockid_t cpu_clock = 0;
  };
  static const ThreadIds& currentThread();
  static void onStopSignal(int);
  static void wakeWatchdog();  // the first call after an idle spell

 public:
  // Whether the watchdog is parked (nothing ran for a while). For tests.
  static bool watchdogParked() { return watchdog_parked_.load() != 0; }

 private:
  static std::atomic<uint32_t> watchdog_parked_;

  // Read by the watchdog thread.
  std::atomic<uint64_t> seq_{0};
  std::atomic<pid_t> tid_{0};
  std::atomic<clockid_t> cpu_clock_{0};
  // The call (seq) the watchdog asks the signal handler to stop.
  std::atomic<uint64_t> stop_seq_{0};
  // Owning thread and its signal handler only.
  lua_State* const L_;
  const lua_Hook stop_hook_;
  const int64_t limit_ns_;
  volatile sig_atomic_t armed_ = 0;
  CallWatch* outer_ = nullptr;  // a call on another VM that this one interrupted, if any
  // Watchdog thread only (under its lock): the call it last saw, and that call's CPU time then.
  uint64_t seen_seq_ = 0;
  int64_t seen_cpu_ns_ = 0;

  static thread_local CallWatch* running_;
};

}  // namespace tidegate::lua
