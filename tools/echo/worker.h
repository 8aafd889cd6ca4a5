#pragma once
// Worker: one thread of the echo. It owns an epoll instance, its own SO_REUSEPORT
// listening socket, a timerfd for --latency and idle timeouts, and its connections; no
// other thread touches them. Other threads reach it only through stop() and grantSlot(),
// which post to an inbox and wake it with an eventfd.
//
// The hot path is one recv, one parse and one send per request (a batch of pipelined
// requests shares them), into buffers each connection keeps for its lifetime.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "echo/connection.h"
#include "echo/live_counters.h"
#include "echo/options.h"
#include "echo/slot_pool.h"

namespace tidegate::echo {

class Worker final : public SlotGrantee {
 public:
  // `slots` may be null (no --slots); `counters` are the process's (--metrics). Takes ownership
  // of `listen_fd`.
  Worker(const Options& options, std::string_view backend_id, SlotPool* slots,
         LiveCounters* counters, int listen_fd, int index);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until stop(); call on the worker's own thread.
  void run();

  // Any thread.
  void stop();
  void grantSlot(int fd, uint32_t generation) override;

 private:
  struct Timer {
    int64_t deadline_ns;
    int fd;  // -1: the idle sweep
    uint32_t generation;
    bool operator>(const Timer& other) const { return deadline_ns > other.deadline_ns; }
  };

  static constexpr size_t kInitialBuffer = 16 * 1024;
  static constexpr size_t kHighWater = 1 << 20;  // stop reading while this much is unsent
  static constexpr int64_t kLingerNs = 2'000'000'000;

  void wake();
  void acceptAll();
  void onConnectionEvent(int fd, uint32_t events);
  void readInput(Connection& conn);
  bool growInput(Connection& conn);
  void advance(Connection& conn);
  void beginBody(Connection& conn);
  bool completeRequest(Connection& conn);
  void planRequest(Connection& conn);
  bool serve(Connection& conn);
  void writeResponse(Connection& conn);
  void finishRequest(Connection& conn);
  void respondError(Connection& conn, int status);
  bool flush(Connection& conn);
  void updateInterest(Connection& conn);
  void startLinger(Connection& conn);
  void closeConnection(Connection& conn);
  void releaseSlot(Connection& conn);
  // The request leaves echo_inflight; `answered`: a response was written (requests_total).
  void endInFlight(Connection& conn, bool answered);
  void processInbox();
  void addTimer(const Timer& timer);
  void runTimers();
  void armTimerFd();
  void sweep();
  Connection* find(int fd, uint32_t generation);
  double nextUnit();  // uniform in [0, 1) for failure injection

  const Options& options_;
  std::string backend_id_;
  SlotPool* slots_;
  LiveCounters* counters_;
  int listen_fd_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  int timer_fd_ = -1;
  int64_t now_ns_ = 0;
  int64_t armed_ns_ = 0;
  int64_t sweep_interval_ns_ = 0;
  uint32_t next_generation_ = 1;
  uint64_t random_state_;
  bool accept_warned_ = false;

  std::vector<std::unique_ptr<Connection>> by_fd_;
  std::vector<std::unique_ptr<Connection>> spare_;
  std::vector<Timer> timers_;  // min-heap on deadline
  std::string fixed_response_;
  std::string sized_body_;  // ?size=N: N bytes of 'x', grown on demand
  std::string metrics_page_;

  std::atomic<bool> stopping_{false};
  std::mutex inbox_mutex_;
  std::vector<std::pair<int, uint32_t>> inbox_;  // slot grants from other threads
  std::vector<std::pair<int, uint32_t>> inbox_work_;
};

}  // namespace tidegate::echo
