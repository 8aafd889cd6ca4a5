#include "lua/call_watch.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace tidegate::lua {

thread_local CallWatch* CallWatch::running_ = nullptr;
std::atomic<uint32_t> CallWatch::watchdog_parked_{0};

namespace {

// Real-time signals are queued and used by nothing else in the process.
int stopSignal() {
  return SIGRTMIN + 2;
}

bool membarrier(int command) {
  return syscall(SYS_membarrier, command, 0, 0) == 0;
}

int64_t cpuNanos(clockid_t clock) {
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

// The process's one watchdog thread. Never destroyed: worker threads may still run Lua while
// static destructors run at exit.
class Watchdog {
 public:
  static Watchdog& instance() {
    static Watchdog* watchdog = new Watchdog();
    return *watchdog;
  }

  void add(CallWatch* watch) {
    std::lock_guard lock(mutex_);
    watches_.push_back(watch);
    retick();
    wake_.notify_one();
  }

  // After it returns the watchdog never looks at `watch` again.
  void remove(CallWatch* watch) {
    std::lock_guard lock(mutex_);
    std::erase(watches_, watch);
    retick();
  }

 private:
  Watchdog() {
    struct sigaction action = {};
    action.sa_handler = &CallWatch::onStopSignal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(stopSignal(), &action, nullptr);
    can_park_ = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
    std::thread([this] { run(); }).detach();
  }

  // Looks a few times per limit: a runaway is stopped after between `limit` and about
  // 1.5 x `limit` of its CPU time (never sooner). At least 1 ms apart, so an idle gateway
  // wakes this thread at most 1,000 times a second.
  void retick() {
    int64_t shortest = INT64_MAX;
    for (const CallWatch* w : watches_)
      shortest = std::min(shortest, w->limit_ns_);
    tick_ = std::chrono::nanoseconds(std::clamp<int64_t>(shortest / 4, 1'000'000, 50'000'000));
  }

  void run() {
    std::unique_lock lock(mutex_);
    int idle_ticks = 0;
    uint64_t last_activity = 0;
    for (;;) {
      if (watches_.empty()) {
        wake_.wait(lock);
        continue;
      }
      wake_.wait_for(lock, tick_);
      uint64_t activity = 0;  // changes whenever a call begins or ends on any VM
      bool running = false;
      for (CallWatch* w : watches_) {
        const uint64_t seq = look(*w);
        activity += seq;
        running = running || (seq & 1) != 0;
      }
      idle_ticks = (running || activity != last_activity) ? 0 : idle_ticks + 1;
      last_activity = activity;
      if (idle_ticks * tick_ >= kIdleBeforeParking) {
        park(lock);
        idle_ticks = 0;
      }
    }
  }

  static bool idle(const CallWatch& w) { return (w.seq_.load(std::memory_order_acquire) & 1) == 0; }

  // Sleeps until a call begins on some VM. The flag goes up and every thread passes a barrier
  // before the last look, so a call that begins meanwhile is either seen here or sees the flag
  // (call_watch.h, top).
  void park(std::unique_lock<std::mutex>& lock) {
    if (!can_park_) return;
    CallWatch::watchdog_parked_.store(1, std::memory_order_relaxed);
    if (!membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
      can_park_ = false;
      CallWatch::watchdog_parked_.store(0, std::memory_order_relaxed);
      return;
    }
    for (const CallWatch* w : watches_) {
      if (!idle(*w)) {
        CallWatch::watchdog_parked_.store(0, std::memory_order_relaxed);
        return;
      }
    }
    lock.unlock();
    CallWatch::watchdog_parked_.wait(1, std::memory_order_acquire);
    lock.lock();
  }

  // Returns the VM's sequence number.
  uint64_t look(CallWatch& w) {
    const uint64_t seq = w.seq_.load(std::memory_order_acquire);
    if ((seq & 1) == 0) return seq;  // idle
    const clockid_t clock = w.cpu_clock_.load(std::memory_order_relaxed);
    if (seq != w.seen_seq_) {  // a call not seen before: start its clock
      w.seen_seq_ = seq;
      w.seen_cpu_ns_ = cpuNanos(clock);
      return seq;
    }
    const int64_t now = cpuNanos(clock);
    if (now < 0 || w.seen_cpu_ns_ < 0 || now - w.seen_cpu_ns_ < w.limit_ns_) return seq;
    // Over the limit: ask its thread to stop it. Sent again each tick until the call ends, in
    // case the first one landed while the call sat in a C function.
    w.stop_seq_.store(seq, std::memory_order_relaxed);
    syscall(SYS_tgkill, getpid(), w.tid_.load(std::memory_order_relaxed), stopSignal());
    return seq;
  }

  // How long nothing must run before the watchdog parks: long enough that a loaded gateway,
  // whose workers call Lua many times a second, never pays a wake-up syscall.
  static constexpr std::chrono::milliseconds kIdleBeforeParking{200};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<CallWatch*> watches_;
  std::chrono::nanoseconds tick_{50'000'000};
  bool can_park_ = false;  // membarrier(2) works here
};

const CallWatch::ThreadIds& CallWatch::currentThread() {
  thread_local ThreadIds ids = [] {
    ThreadIds t;
    t.tid = pid_t(syscall(SYS_gettid));
    pthread_getcpuclockid(pthread_self(), &t.cpu_clock);
    return t;
  }();
  return ids;
}

// Runs on the thread that owns the VM, between two of its instructions (or in a C function).
// Arms the stop hook only if the call the watchdog meant is the one running now: a late
// signal finds another call, or none, and does nothing.
void CallWatch::onStopSignal(int) {
  const int saved_errno = errno;
  CallWatch* w = running_;
  if (w != nullptr && !w->armed_) {
    const uint64_t seq = w->seq_.load(std::memory_order_relaxed);
    if ((seq & 1) != 0 && w->stop_seq_.load(std::memory_order_relaxed) == seq) {
      w->armed_ = 1;
      lua_sethook(w->L_, w->stop_hook_, LUA_MASKCOUNT, 1);
    }
  }
  errno = saved_errno;
}

void CallWatch::wakeWatchdog() {
  if (watchdog_parked_.exchange(0, std::memory_order_acq_rel) != 0) watchdog_parked_.notify_one();
}

CallWatch::CallWatch(lua_State* L, lua_Hook stop_hook, std::chrono::nanoseconds limit)
    : L_(L), stop_hook_(stop_hook), limit_ns_(limit.count()) {
  Watchdog::instance().add(this);
}

CallWatch::~CallWatch() {
  Watchdog::instance().remove(this);
}

}  // namespace tidegate::lua
