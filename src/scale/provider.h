#pragma once
// Provider: what runs a pool's instances (local processes, shell hooks, Kubernetes), and
// PoolMembership: what a provider needs from the gateway to add and drain them. The
// autoscaler asks a provider for a number of serving instances; the provider does the slow
// part (start, readiness, drain, stop) on the control loop and reports what happened as
// events. Control thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tidegate::scale {

enum class InstanceState : uint8_t {
  kStarting,  // launched, readiness probe not yet passed: gets no traffic
  kReady,     // in the pool, serving
  kDraining,  // out of the pool, waiting for its in-flight requests
  kStopping,  // SIGTERM sent, waiting for exit (SIGKILL after the grace period)
  kBackoff,   // crashed; restarts after a delay
};
std::string_view instanceStateName(InstanceState state);

struct InstanceInfo {
  std::string id;       // "<pool>-<index>", stable across restarts of the same slot
  std::string address;  // "127.0.0.1:9101": the backend address in the pool
  InstanceState state = InstanceState::kStarting;
  int pid = -1;            // -1: no local process (or not running right now)
  int64_t started_ms = 0;  // coarse monotonic clock (core/clock.h) of the current launch
  uint32_t restarts = 0;
};

// Something a provider did or failed to do; the autoscaler files these in its event log.
struct ProviderEvent {
  std::string kind;      // "start", "ready", "crash", "restart", "drain", "stop", "kill", ...
  std::string instance;  // InstanceInfo::id; empty for pool-wide events
  std::string message;   // for people: what happened and why
  bool error = false;    // a failed action
};
using ProviderEventFn = std::function<void(ProviderEvent)>;

// Implemented by the server. Membership changes publish a new snapshot to every worker, so a
// backend enters or leaves balancing atomically.
class PoolMembership {
 public:
  virtual ~PoolMembership() = default;
  // Replaces the serving backends of `pool` ("host:port" each).
  virtual void setBackends(std::string_view pool, std::vector<std::string> addresses) = 0;
  // Requests in progress on this backend, all workers together (0 when unknown).
  virtual int64_t inflight(std::string_view pool, std::string_view address) const = 0;
  // Closes every worker's idle keep-alive connections to this backend (asynchronous).
  virtual void closeIdle(std::string_view pool, std::string_view address) = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view kind() const = 0;  // "process"

  // Asks for `desired` serving instances. Returns at once; instances are started (and join
  // the pool once ready) or drained and stopped (the least loaded first, then the newest) on
  // the control loop. A later call supersedes an earlier one. Errors: the request cannot be
  // met at all (e.g. no free port in the range); partial failures are events.
  virtual Result<Ok> scaleTo(uint32_t desired) = 0;
  // Every instance in every state.
  virtual std::vector<InstanceInfo> instances() const = 0;
  // Instances in kReady.
  virtual uint32_t readyCount() const = 0;
  // Gateway shutdown: drain and stop every instance, then call `done` (on the control loop).
  virtual void shutdown(std::function<void()> done) = 0;
};

}  // namespace tidegate::scale
