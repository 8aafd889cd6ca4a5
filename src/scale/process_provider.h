#pragma once
// ProcessProvider: the embedded default provider. Runs a pool's instances as local child
// processes started from a command template, adds each to the pool once its readiness probe
// passes, restarts crashed ones with backoff, and scales down by draining before it stops.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "config/scale_schema.h"
#include "scale/child_process.h"
#include "scale/port_allocator.h"
#include "scale/provider.h"
#include "scale/readiness_probe.h"

namespace tidegate::scale {

// Lifecycle of one instance slot (see docs/process-provider.md for the diagram):
//   kStarting --probe 2xx--> kReady --scale down--> kDraining --in-flight 0 or timeout-->
//   kStopping --exit--> gone (port freed). A crash while starting or ready, or a start that
//   is not ready in time, goes to kBackoff and relaunches the same slot (same index and id,
//   a fresh port) after a delay that doubles from restart_backoff_min to restart_backoff_max
//   and resets once the instance has been ready for kBackoffResetMs.
//
// Everything runs on `control` (the gateway's control thread): one steady_timer "tick" that
// reaps exited children (waitpid WNOHANG; no SIGCHLD handler to share with the rest of the
// process), watches deadlines and polls in-flight counts of draining instances, plus the
// asynchronous readiness probes. No threads, no blocking calls besides fork/exec, the
// non-blocking reap and kill. Not thread-safe: call every method on the control thread.
//
// Lifetime: `control`, `membership` and `on_event` must outlive the provider. The destructor
// SIGKILLs and reaps every child still running (use shutdown() first for a graceful stop).
class ProcessProvider final : public Provider {
 public:
  static constexpr int64_t kBackoffResetMs = 10000;  // ready this long: backoff back to min
  static constexpr int64_t kMaxTickMs = 50;          // reap / drain-poll period
  // After a drain starts, workers may still hold the previous snapshot for a moment; the
  // in-flight count is trusted only after this settle time.
  static constexpr int64_t kDrainSettleMs = 100;

  ProcessProvider(asio::io_context& control, std::string pool, config::ProcessProviderConfig config,
                  PoolMembership& membership, ProviderEventFn on_event);
  ~ProcessProvider() override;
  ProcessProvider(const ProcessProvider&) = delete;
  ProcessProvider& operator=(const ProcessProvider&) = delete;

  std::string_view kind() const override { return "process"; }
  // Starts or drains instances to reach `desired` (see Provider). Instances in backoff count
  // as wanted (they come back by themselves); draining and stopping ones never come back.
  // Errors: after shutdown(); `desired` exceeds the size of the port range (as many as fit
  // are still run).
  Result<Ok> scaleTo(uint32_t desired) override;
  std::vector<InstanceInfo> instances() const override;
  uint32_t readyCount() const override;
  // Drains and stops everything (in-flight requests get drain_timeout), then posts `done`.
  void shutdown(std::function<void()> done) override;

  // The running processes (pid > 0), for per-process CPU/RSS sampling. Same as the pids in
  // instances(); each is also its process group id.
  std::vector<int> pids() const;
  const std::string& logDir() const { return log_dir_; }

 private:
  struct Instance {
    uint32_t index = 0;
    std::string id;
    InstanceState state = InstanceState::kStarting;
    uint16_t port = 0;  // 0: none held
    std::string address;
    std::optional<ChildProcess> child;
    uint64_t launch_seq = 0;  // orders launches: the newest has the highest
    int64_t started_ms = 0;
    int64_t ready_since_ms = 0;
    int64_t deadline_ms = 0;  // kStarting: start timeout; kDraining: drain timeout;
                              // kStopping: SIGKILL time; kBackoff: relaunch time
    int64_t drain_started_ms = 0;
    int64_t next_probe_ms = 0;
    std::shared_ptr<upstream::HttpFetch> probe;  // the readiness probe in flight
    std::string last_probe_detail;
    bool killed = false;  // SIGKILL sent
    uint32_t restarts = 0;
    int64_t backoff_ms = 0;  // the delay before the next relaunch after a failure
  };

  void launch(Instance& instance);
  void startProbe(Instance& instance);
  void onProbe(uint32_t index, uint64_t launch_seq, ProbeResult result);
  void onExit(Instance& instance, const ExitStatus& status);
  void fail(Instance& instance, std::string kind, std::string message);
  // Takes instances out: ready ones drain (all leave the pool in one publish), starting ones
  // stop at once, ones in backoff are dropped.
  void remove(const std::vector<Instance*>& victims, const std::string& why);
  void beginStop(Instance& instance, const std::string& why);
  void forget(uint32_t index);
  void tick();
  void tickInstance(Instance& instance, int64_t now);
  void scheduleTick();
  void publish();
  void maybeFinishShutdown();
  void emit(std::string kind, const Instance* instance, std::string message, bool error = false);
  uint32_t freeIndex() const;
  std::vector<Instance*> victimsInOrder();

  asio::io_context& control_;
  std::string pool_;
  config::ProcessProviderConfig config_;
  PoolMembership& membership_;
  ProviderEventFn on_event_;
  std::string log_dir_;
  PortAllocator ports_;
  asio::steady_timer tick_timer_;
  bool tick_scheduled_ = false;
  // Handlers hold a weak_ptr to this: a completion already queued when the provider dies
  // must not touch it.
  std::shared_ptr<ProcessProvider*> alive_;
  std::map<uint32_t, std::unique_ptr<Instance>> instances_;
  std::vector<std::string> published_;  // the pool starts empty: the provider owns it
  uint64_t launches_ = 0;
  bool shutting_down_ = false;
  std::vector<std::function<void()>> shutdown_done_;
};

// Substitutes {port}, {index} and {host} in a command template; other text is kept as is.
std::string expandCommand(std::string_view command_template, uint16_t port, uint32_t index,
                          std::string_view host);

}  // namespace tidegate::scale
