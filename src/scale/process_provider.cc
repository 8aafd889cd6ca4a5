#include "scale/process_provider.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>
#include <asio/post.hpp>

#include "core/clock.h"
#include "core/log.h"

namespace tidegate::scale {
namespace {

std::string defaultLogDir(const std::string& pool) {
  const char* tmp = std::getenv("TMPDIR");
  return fmt::format("{}/tidegate-{}", tmp && *tmp ? tmp : "/tmp", pool);
}

std::string formatAddress(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace

std::string expandCommand(std::string_view command_template, uint16_t port, uint32_t index,
                          std::string_view host) {
  std::string out;
  out.reserve(command_template.size() + 16);
  for (size_t i = 0; i < command_template.size();) {
    std::string_view rest = command_template.substr(i);
    if (rest.starts_with("{port}")) {
      out += std::to_string(port);
      i += 6;
    } else if (rest.starts_with("{index}")) {
      out += std::to_string(index);
      i += 7;
    } else if (rest.starts_with("{host}")) {
      out += host;
      i += 6;
    } else {
      out.push_back(command_template[i++]);
    }
  }
  return out;
}

ProcessProvider::ProcessProvider(asio::io_context& control, std::string pool,
                                 config::ProcessProviderConfig config, PoolMembership& membership,
                                 ProviderEventFn on_event)
    : control_(control),
      pool_(std::move(pool)),
      config_(std::move(config)),
      membership_(membership),
      on_event_(std::move(on_event)),
      log_dir_(config_.log_dir.empty() ? defaultLogDir(pool_) : config_.log_dir),
      ports_(config_.port_min, config_.port_max,
             [host = config_.host](uint16_t port) { return portLooksFree(host, port); }),
      tick_timer_(control),
      alive_(std::make_shared<ProcessProvider*>(this)) {}

ProcessProvider::~ProcessProvider() {
  alive_.reset();
  tick_timer_.cancel();
  for (auto& [index, instance] : instances_) {
    if (instance->probe) instance->probe->cancel();
    // ChildProcess's destructor SIGKILLs the group and reaps.
  }
  instances_.clear();
  if (!published_.empty()) membership_.setBackends(pool_, {});
}

Result<Ok> ProcessProvider::scaleTo(uint32_t desired) {
  if (shutting_down_) {
    return Error(ErrorSource::kInternal, fmt::format("pool {}: shutting down", pool_));
  }
  std::optional<Error> error;
  uint32_t target = desired;
  if (desired > ports_.capacity()) {
    target = ports_.capacity();
    std::string message =
        ports_.capacity() == 0
            ? fmt::format("{} instances asked but no port range is configured", desired)
            : fmt::format("{} instances asked but the port range {}-{} holds only {}", desired,
                          config_.port_min, config_.port_max, ports_.capacity());
    emit("error", nullptr, message, /*error=*/true);
    error = Error(ErrorSource::kConfig, fmt::format("pool {}: {}", pool_, message));
  }

  uint32_t wanted = 0;
  for (const auto& [index, instance] : instances_) {
    InstanceState s = instance->state;
    if (s == InstanceState::kStarting || s == InstanceState::kReady ||
        s == InstanceState::kBackoff) {
      ++wanted;
    }
  }
  for (; wanted < target; ++wanted) {
    auto instance = std::make_unique<Instance>();
    instance->index = freeIndex();
    instance->id = fmt::format("{}-{}", pool_, instance->index);
    instance->backoff_ms = config_.restart_backoff_min_ms;
    Instance& added = *instance;
    instances_.emplace(added.index, std::move(instance));
    launch(added);
  }
  if (wanted > target) {
    std::vector<Instance*> victims = victimsInOrder();
    victims.resize(std::min<size_t>(victims.size(), wanted - target));
    remove(victims, "not needed any more");
  }
  publish();
  scheduleTick();
  if (error) return *error;
  return Ok{};
}

std::vector<ProcessProvider::Instance*> ProcessProvider::victimsInOrder() {
  struct Candidate {
    Instance* instance;
    int rank;  // what it serves: backoff (nothing, no process) < starting (nothing) < ready
    int64_t inflight;
  };
  std::vector<Candidate> candidates;
  for (auto& [index, instance] : instances_) {
    switch (instance->state) {
      case InstanceState::kBackoff:
        candidates.push_back({instance.get(), 0, 0});
        break;
      case InstanceState::kStarting:
        candidates.push_back({instance.get(), 1, 0});
        break;
      case InstanceState::kReady:
        candidates.push_back({instance.get(), 2, membership_.inflight(pool_, instance->address)});
        break;
      default:
        break;
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.inflight != b.inflight) return a.inflight < b.inflight;
    return a.instance->launch_seq > b.instance->launch_seq;  // the newest first
  });
  std::vector<Instance*> out;
  for (const auto& candidate : candidates)
    out.push_back(candidate.instance);
  return out;
}

uint32_t ProcessProvider::freeIndex() const {
  uint32_t index = 0;
  for (const auto& [used, instance] : instances_) {  // ordered: the first gap
    if (used != index) break;
    ++index;
  }
  return index;
}

void ProcessProvider::launch(Instance& instance) {
  std::optional<uint16_t> port = ports_.acquire();
  if (!port) {
    fail(instance, "error",
         fmt::format("no free port in {}-{}", config_.port_min, config_.port_max));
    return;
  }
  std::string command = expandCommand(config_.command, *port, instance.index, config_.host);
  std::string log_path = fmt::format("{}/{}.log", log_dir_, instance.id);
  Result<ChildProcess> child = ChildProcess::spawn({command, log_path});
  if (!child) {
    ports_.release(*port);
    fail(instance, "error", fmt::format("cannot start: {}", child.error().message()));
    return;
  }
  int64_t now = coarseNowMs();
  instance.child.emplace(std::move(child).value());
  instance.port = *port;
  instance.address = formatAddress(config_.host, *port);
  instance.state = InstanceState::kStarting;
  instance.launch_seq = ++launches_;
  instance.started_ms = now;
  instance.deadline_ms = now + config_.start_timeout_ms;
  instance.next_probe_ms = now + config_.readiness_interval_ms;
  instance.last_probe_detail = "none yet";
  instance.killed = false;
  emit(instance.restarts == 0 ? "start" : "restart", &instance,
       fmt::format("pid {} on {} (log {}): {}", instance.child->pid(), instance.address, log_path,
                   command));
  scheduleTick();
}

void ProcessProvider::startProbe(Instance& instance) {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(config_.host, ec);
  if (ec) {
    fail(instance, "error", fmt::format("host {} is not a numeric address", config_.host));
    return;
  }
  std::weak_ptr<ProcessProvider*> alive = alive_;
  instance.probe = startReadinessProbe(
      control_, asio::ip::tcp::endpoint(address, instance.port), config_.readiness_path,
      std::chrono::milliseconds(config_.readiness_timeout_ms),
      [alive, index = instance.index, seq = instance.launch_seq](ProbeResult result) {
        if (auto self = alive.lock()) (*self)->onProbe(index, seq, std::move(result));
      });
}

void ProcessProvider::onProbe(uint32_t index, uint64_t launch_seq, ProbeResult result) {
  auto it = instances_.find(index);
  if (it == instances_.end()) return;
  Instance& instance = *it->second;
  if (instance.launch_seq != launch_seq || instance.state != InstanceState::kStarting) return;
  instance.probe.reset();
  int64_t now = coarseNowMs();
  if (!result.ready) {
    instance.last_probe_detail = std::move(result.detail);
    instance.next_probe_ms = now + config_.readiness_interval_ms;
    return;
  }
  instance.state = InstanceState::kReady;
  instance.ready_since_ms = now;
  emit("ready", &instance,
       fmt::format("{} answered {} after {} ms", config_.readiness_path, result.detail,
                   now - instance.started_ms));
  publish();
}

void ProcessProvider::fail(Instance& instance, std::string kind, std::string message) {
  bool was_ready = instance.state == InstanceState::kReady;
  if (instance.probe) {
    instance.probe->cancel();
    instance.probe.reset();
  }
  if (instance.child && !instance.killed) {
    instance.child->signalGroup(SIGKILL);  // reaped by the tick; relaunch waits for that
    instance.killed = true;
  }
  instance.state = InstanceState::kBackoff;
  instance.deadline_ms = coarseNowMs() + instance.backoff_ms;
  if (was_ready) publish();  // out of the pool before anyone hears of it
  emit(std::move(kind), &instance,
       fmt::format("{}; restarting in {} ms", message, instance.backoff_ms), /*error=*/true);
  instance.backoff_ms = std::min(instance.backoff_ms * 2, config_.restart_backoff_max_ms);
  scheduleTick();
}

void ProcessProvider::onExit(Instance& instance, const ExitStatus& status) {
  instance.child.reset();
  if (instance.port != 0) {
    ports_.release(instance.port);
    instance.port = 0;
  }
  switch (instance.state) {
    case InstanceState::kStarting:
    case InstanceState::kReady:
      fail(instance, "crash",
           fmt::format("{} {} while {}", instance.address, status.describe(),
                       instanceStateName(instance.state)));
      break;
    case InstanceState::kBackoff:
      break;  // the SIGKILL of a failed start; the relaunch was already announced
    case InstanceState::kDraining:
      emit("exit", &instance, fmt::format("{} while draining", status.describe()),
           /*error=*/true);
      forget(instance.index);
      break;
    case InstanceState::kStopping:
      emit("exit", &instance, status.describe());
      forget(instance.index);
      break;
  }
}

void ProcessProvider::remove(const std::vector<Instance*>& victims, const std::string& why) {
  int64_t now = coarseNowMs();
  std::vector<Instance*> draining;
  for (Instance* victim : victims) {
    switch (victim->state) {
      case InstanceState::kReady:
        victim->state = InstanceState::kDraining;
        victim->drain_started_ms = now;
        victim->deadline_ms = now + config_.drain_timeout_ms;
        draining.push_back(victim);
        break;
      case InstanceState::kStarting:  // serves nothing: no drain
        beginStop(*victim, why);
        break;
      case InstanceState::kBackoff:
        if (victim->child) {
          victim->state = InstanceState::kStopping;  // already SIGKILLed, awaiting its reap
        } else {
          emit("stop", victim, why + "; was waiting to restart");
          forget(victim->index);
        }
        break;
      default:  // already on its way out
        break;
    }
  }
  if (draining.empty()) return;
  // Out of balancing first, all in one snapshot: no worker picks them after the swap.
  publish();
  for (Instance* instance : draining) {
    membership_.closeIdle(pool_, instance->address);
    emit("drain", instance,
         fmt::format("out of the pool; {} requests in flight, waiting up to {} ms",
                     membership_.inflight(pool_, instance->address), config_.drain_timeout_ms));
  }
  scheduleTick();
}

void ProcessProvider::beginStop(Instance& instance, const std::string& why) {
  if (instance.probe) {
    instance.probe->cancel();
    instance.probe.reset();
  }
  if (!instance.child) {
    emit("stop", &instance, why);
    forget(instance.index);
    return;
  }
  instance.state = InstanceState::kStopping;
  instance.deadline_ms = coarseNowMs() + config_.stop_grace_ms;
  instance.child->signalGroup(SIGTERM);
  emit("stop", &instance,
       fmt::format("{}: SIGTERM to process group {}, SIGKILL in {} ms", why, instance.child->pid(),
                   config_.stop_grace_ms));
  scheduleTick();
}

void ProcessProvider::forget(uint32_t index) {
  auto it = instances_.find(index);
  if (it == instances_.end()) return;
  if (it->second->port != 0) ports_.release(it->second->port);
  instances_.erase(it);  // a child still running would be SIGKILLed and reaped here
}

void ProcessProvider::tick() {
  tick_scheduled_ = false;
  int64_t now = coarseNowMs();
  std::vector<uint32_t> indexes;
  for (const auto& [index, instance] : instances_)
    indexes.push_back(index);
  for (uint32_t index : indexes) {
    auto it = instances_.find(index);
    if (it == instances_.end()) continue;
    Instance& instance = *it->second;
    if (instance.child) {
      if (std::optional<ExitStatus> status = instance.child->poll()) {
        onExit(instance, *status);
        continue;
      }
    }
    tickInstance(instance, now);
  }
  maybeFinishShutdown();
  scheduleTick();
}

void ProcessProvider::tickInstance(Instance& instance, int64_t now) {
  switch (instance.state) {
    case InstanceState::kStarting:
      if (now >= instance.deadline_ms) {
        fail(instance, "start_timeout",
             fmt::format("not ready {} ms after start (last probe of {}: {})",
                         config_.start_timeout_ms, config_.readiness_path,
                         instance.last_probe_detail));
      } else if (!instance.probe && now >= instance.next_probe_ms) {
        startProbe(instance);
      }
      break;
    case InstanceState::kReady:
      if (now - instance.ready_since_ms >= kBackoffResetMs) {
        instance.backoff_ms = config_.restart_backoff_min_ms;
      }
      break;
    case InstanceState::kDraining: {
      if (now - instance.drain_started_ms < kDrainSettleMs) break;
      int64_t inflight = membership_.inflight(pool_, instance.address);
      if (inflight <= 0) {
        beginStop(instance, "drained");
      } else if (now >= instance.deadline_ms) {
        emit("drain_timeout", &instance,
             fmt::format("{} requests still in flight after {} ms", inflight,
                         config_.drain_timeout_ms),
             /*error=*/true);
        beginStop(instance, "drain timeout");
      }
      break;
    }
    case InstanceState::kStopping:
      if (!instance.killed && now >= instance.deadline_ms) {
        instance.child->signalGroup(SIGKILL);
        instance.killed = true;
        emit("kill", &instance,
             fmt::format("still running {} ms after SIGTERM: SIGKILL to process group {}",
                         config_.stop_grace_ms, instance.child->pid()));
      }
      break;
    case InstanceState::kBackoff:
      if (!instance.child && now >= instance.deadline_ms) {
        ++instance.restarts;
        launch(instance);
      }
      break;
  }
}

void ProcessProvider::scheduleTick() {
  if (tick_scheduled_ || instances_.empty()) return;
  tick_scheduled_ = true;
  int64_t period = std::clamp<int64_t>(config_.readiness_interval_ms, 10, kMaxTickMs);
  tick_timer_.expires_after(std::chrono::milliseconds(period));
  tick_timer_.async_wait([alive = std::weak_ptr<ProcessProvider*>(alive_)](std::error_code ec) {
    auto self = alive.lock();
    if (!self || ec) return;
    (*self)->tick();
  });
}

void ProcessProvider::publish() {
  std::vector<std::string> ready;
  for (const auto& [index, instance] : instances_) {
    if (instance->state == InstanceState::kReady) ready.push_back(instance->address);
  }
  if (ready == published_) return;
  published_ = ready;
  membership_.setBackends(pool_, std::move(ready));
}

void ProcessProvider::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  if (done) shutdown_done_.push_back(std::move(done));
  emit("shutdown", nullptr, fmt::format("stopping {} instances", instances_.size()));
  std::vector<Instance*> everything;
  for (auto& [index, instance] : instances_)
    everything.push_back(instance.get());
  remove(everything, "shutdown");
  publish();
  maybeFinishShutdown();
  scheduleTick();
}

void ProcessProvider::maybeFinishShutdown() {
  if (!shutting_down_ || !instances_.empty() || shutdown_done_.empty()) return;
  emit("shutdown", nullptr, "every instance stopped");
  for (auto& done : shutdown_done_)
    asio::post(control_, std::move(done));
  shutdown_done_.clear();
}

std::vector<InstanceInfo> ProcessProvider::instances() const {
  std::vector<InstanceInfo> out;
  for (const auto& [index, instance] : instances_) {
    InstanceInfo info;
    info.id = instance->id;
    info.address = instance->address;
    info.state = instance->state;
    info.pid = instance->child ? instance->child->pid() : -1;
    info.started_ms = instance->started_ms;
    info.restarts = instance->restarts;
    out.push_back(std::move(info));
  }
  return out;
}

uint32_t ProcessProvider::readyCount() const {
  uint32_t ready = 0;
  for (const auto& [index, instance] : instances_) {
    if (instance->state == InstanceState::kReady) ++ready;
  }
  return ready;
}

std::vector<int> ProcessProvider::pids() const {
  std::vector<int> out;
  for (const auto& [index, instance] : instances_) {
    if (instance->child && instance->child->pid() > 0) out.push_back(instance->child->pid());
  }
  return out;
}

void ProcessProvider::emit(std::string kind, const Instance* instance, std::string message,
                           bool error) {
  // With a handler, the autoscaler's event log records and logs it: one line, not two.
  if (!on_event_ && error) {
    log::warn("scale {} {} {}: {}", pool_, kind, instance ? instance->id : "-", message);
  } else if (!on_event_) {
    log::info("scale {} {} {}: {}", pool_, kind, instance ? instance->id : "-", message);
  }
  if (on_event_) {
    on_event_(ProviderEvent{std::move(kind), instance ? instance->id : std::string(),
                            std::move(message), error});
  }
}

}  // namespace tidegate::scale
