#include "server/server.h"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include <asio/signal_set.hpp>
#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "core/clock.h"
#include "core/log.h"
#include "metrics/prometheus.h"
#include "net/listener.h"
#include "server/script_loader.h"

namespace tidegate::server {
namespace {

int64_t mtimeNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

Server::Server(config::Config config)
    : config_(std::make_shared<const config::Config>(std::move(config))) {}

Server::~Server() {
  for (auto& w : workers_)
    w->io().stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

int Server::run() {
  ::signal(SIGPIPE, SIG_IGN);
  // Handlers first: a SIGHUP or SIGTERM that arrives as soon as the port accepts must
  // reach the control loop, not kill the process with the default action.
  asio::signal_set signals(control_, SIGHUP, SIGTERM, SIGINT);
  unsigned n =
      config_->workers ? config_->workers : std::max(1u, std::thread::hardware_concurrency());
  // A worker's read buffer holds one request head (plus pipelined bytes): sized once here.
  buffer_size_ = std::max<size_t>(16 * 1024, config_->limits.max_head_bytes + 1024);

  auto telemetry = Telemetry::create();
  if (!telemetry) {
    log::error("{}", telemetry.error().message());
    return 1;
  }
  telemetry_ = std::move(telemetry.value());
  registry_ = std::make_unique<BackendRegistry>(&telemetry_->requests());
  scraper_ = std::make_unique<BackendScraper>(control_, *telemetry_);

  // Shared dicts are sized once, at start: a reload neither resizes nor empties them.
  addSharedDicts(config_->lua, shared_dicts_);
  const lua::VmOptions vm_options = scriptVmOptions();
  auto scripts = buildScripts(*config_, vm_options, ++generation_, nullptr);
  if (!scripts) {
    log::error("{}", scripts.error().message());
    return 1;
  }
  scripts_ = scripts.value();

  if (config_->access_log) {
    auto log =
        metrics::AccessLog::open(config_->access_log->path, n, config_->access_log->buffer_bytes);
    if (!log) {
      log::error("access_log: {}", log.error().message());
      return 1;
    }
    access_log_ = std::move(log.value());
    auto counts = AccessLogMetrics::declare(telemetry_->registry());
    if (!counts) {
      log::error("access_log: {}", counts.error().message());
      return 1;
    }
    access_log_metrics_ = counts.value();
    telemetry_->reserveShards();
  }

  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<proxy::Worker>(int(i), buffer_size_);
    if (access_log_) w->setAccessLog(&access_log_->writer(i));
    for (const auto& text : config_->listen) {
      auto addr = net::parseAddress(text);
      if (!addr) {
        log::error("invalid listen address {}", text);
        return 1;
      }
      auto acceptor = net::openReusePortListener(w->io(), *addr, 4096);
      if (!acceptor) {
        log::error("{}", acceptor.error().message());
        return 1;
      }
      w->addListener(std::move(acceptor.value()));
    }
    auto shard = std::make_shared<metrics::MetricShard>();
    telemetry_->addShard(shard);
    // Every worker gets a VM, even without scripts now: a reload may add some. Its tg.metrics
    // record into the worker's shard; declarations resolve from the scripts' catalog.
    lua::VmOptions worker_options = vm_options;
    worker_options.declarer = nullptr;
    worker_options.shard = shard.get();
    w->setMetricShard(std::move(shard));
    auto vm = w->createLuaVm(worker_options);
    if (!vm) {
      log::error("worker {}: {}", i, vm.error().message());
      return 1;
    }
    workers_.push_back(std::move(w));
  }
  if (auto built = rebuild(config_, scripts_); !built) {
    log::error("{}", built.error().message());
    return 1;
  }
  if (auto admin = startAdmin(); !admin) {
    log::error("{}", admin.error().message());
    return 1;
  }
  if (auto control = loadControlScript(*config_); !control) {
    log::error("{}", control.error().message());
    return 1;
  }
  if (auto scaling = startScaling(); !scaling) {
    log::error("{}", scaling.error().message());
    return 1;
  }
  for (auto& w : workers_) {
    threads_.emplace_back([&worker = *w] {
      pthread_setname_np(pthread_self(), ("tg-worker-" + std::to_string(worker.id())).c_str());
      worker.run();
    });
  }
  for (const auto& text : config_->listen)
    log::info("listening on {}", text);
  log::info("tidegate running: {} worker(s), {} route(s), {} upstream(s){}", n,
            config_->routes.size(), config_->upstreams.size(),
            scripts_ ? fmt::format(", {} script(s)", scripts_->entries().size()) : "");

  std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      signals.async_wait(on_signal);
    } else {
      log::info("signal {}: draining (up to {} ms)", sig, config_->timeouts.drain_ms);
      startDrain();
    }
  };
  signals.async_wait(on_signal);
  for (const auto& file : scriptFiles(*config_))
    watched_mtimes_[file] = mtimeNs(file);
  telemetry_->tick({});  // host gauges from the start, rates from the next round
  scheduleTick();
  control_.run();

  for (auto& w : workers_)
    w->io().stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  log::info("tidegate stopped");
  return 0;
}

Result<Ok> Server::startAdmin() {
  if (!config_->admin) return Ok{};
  auto addr = net::parseAddress(config_->admin->listen);
  if (!addr)
    return Error(ErrorSource::kConfig, "invalid admin listen address " + config_->admin->listen);
  admin_ = std::make_unique<admin::AdminServer>(control_);
  admin_->get("/metrics", [this](const admin::AdminRequest&) {
    telemetry_->fold();  // fresh totals, not up to a second old
    return admin::AdminResponse{200, std::string(metrics::kPrometheusContentType),
                                telemetry_->renderPrometheus()};
  });
  admin_->get("/scale/events", [this](const admin::AdminRequest&) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : events_.recent(200)) {
      nlohmann::json inputs = nlohmann::json::object();
      for (const auto& [k, v] : e.inputs)
        inputs[k] = v;
      out.push_back({{"seq", e.seq},
                     {"age_ms", coarseNowMs() - e.at_ms},
                     {"pool", e.pool},
                     {"kind", std::string(scale::eventKindName(e.kind))},
                     {"policy", e.policy},
                     {"current", e.current},
                     {"desired", e.desired},
                     {"reason", e.reason},
                     {"error", e.error},
                     {"instance", e.instance},
                     {"inputs", inputs}});
    }
    return admin::AdminResponse{200, "application/json", out.dump(2) + "\n"};
  });
  admin_->get("/scale/pools", [this](const admin::AdminRequest&) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& p : scaled_) {
      nlohmann::json instances = nlohmann::json::array();
      for (const auto& i : p->provider().instances())
        instances.push_back({{"id", i.id},
                             {"address", i.address},
                             {"state", std::string(scale::instanceStateName(i.state))},
                             {"pid", i.pid},
                             {"restarts", i.restarts},
                             {"inflight", inflight(p->pool(), i.address)}});
      const auto& st = p->autoscaler().stats();
      out[p->pool()] = {{"target", p->autoscaler().target()},
                        {"ready", p->provider().readyCount()},
                        {"min", p->autoscaler().config().min},
                        {"max", p->autoscaler().config().max},
                        {"policy", p->autoscaler().policy().name()},
                        {"evaluations", st.evaluations},
                        {"last_eval_us", st.last_eval_us},
                        {"max_eval_us", st.max_eval_us},
                        {"instances", instances}};
    }
    return admin::AdminResponse{200, "application/json", out.dump(2) + "\n"};
  });
  admin_->get("/healthz", [this](const admin::AdminRequest&) {
    return admin::AdminResponse{draining_ ? 503 : 200, "text/plain; charset=utf-8",
                                draining_ ? "draining\n" : "ok\n"};
  });
  if (auto started = admin_->start(*addr); !started) return started.error();
  log::info("admin listening on {}", config_->admin->listen);
  return Ok{};
}

Result<Ok> Server::rebuild(std::shared_ptr<const config::Config> config,
                           std::shared_ptr<const lua::ScriptSet> scripts) {
  SnapshotInputs inputs;
  inputs.metrics = &telemetry_->requests();
  inputs.scripts = std::move(scripts);
  inputs.membership = &membership_;
  auto snap = buildSnapshot(config, *registry_, ++generation_, buffer_size_, inputs);
  if (!snap) return snap.error();
  // New series (routes, backends) get cells in every shard before any worker can write them.
  telemetry_->reserveShards();
  for (const proxy::Pool& pool : snap.value()->pools)
    telemetry_->controlShard().set(pool.series.replicas, double(pool.backends.size()));
  current_ = snap.value();
  scraper_->update(*current_);
  publish(snap.value());
  return Ok{};
}

lua::VmOptions Server::scriptVmOptions() {
  // The VM limits and dicts of the running config: they change only with a restart.
  return vmOptionsFor(config_->lua, &shared_dicts_, &telemetry_->luaDeclarer());
}

Result<Ok> Server::loadControlScript(const config::Config& config) {
  if (config.lua.control_script.empty()) {
    control_vm_.reset();
    return Ok{};
  }
  lua::VmOptions o = vmOptionsFor(config.lua, &shared_dicts_, &telemetry_->luaDeclarer());
  o.shard = &telemetry_->controlShard();
  o.registry = &telemetry_->registry();
  o.windows = &telemetry_->windows();
  auto vm = loadControlVm(config.lua, std::move(o));
  if (!vm) return vm.error();
  telemetry_->reserveShards();
  const bool first = control_vm_ == nullptr;
  control_vm_ = std::move(vm.value());
  log::info("control script {} loaded: {} timer(s)", config.lua.control_script,
            control_vm_->timerCount());
  if (first) scheduleControlTick();
  return Ok{};
}

void Server::scheduleControlTick() {
  // Control timers run at most this late.
  control_vm_timer_.expires_after(std::chrono::milliseconds(100));
  control_vm_timer_.async_wait([this](std::error_code ec) {
    if (ec || !control_vm_) return;
    control_vm_->tick(control_vm_->vm().now());
    scheduleControlTick();
  });
}

Result<Ok> Server::startScaling() {
  for (const auto& u : config_->upstreams) {
    if (!u.scale) continue;
    auto pool = ScaledPool::create(control_, u.name, *u.scale, *this, *telemetry_, events_);
    if (!pool) return pool.error();
    scaled_.push_back(std::move(pool.value()));
  }
  for (auto& p : scaled_) {
    log::info("upstream {}: autoscaled by the {} provider, {} to {} instance(s)", p->pool(),
              p->provider().kind(), p->autoscaler().config().min, p->autoscaler().config().max);
    p->start();
  }
  return Ok{};
}

void Server::stopScaling(std::function<void()> done) {
  auto remaining = std::make_shared<size_t>(scaled_.size());
  if (*remaining == 0) return done();
  for (auto& p : scaled_)
    p->shutdown([remaining, done] {
      if (--*remaining == 0) done();
    });
}

std::vector<Telemetry::LocalProcess> Server::localProcesses() const {
  std::vector<Telemetry::LocalProcess> out;
  for (const auto& p : scaled_)
    for (const auto& i : p->provider().instances())
      if (i.pid > 0) out.push_back({p->pool(), i.address, i.pid});
  return out;
}

void Server::setBackends(std::string_view pool, std::vector<std::string> addresses) {
  // Remember what leaves, so that a draining backend's in-flight count stays readable.
  if (current_) {
    int index = current_->poolIndex(pool);
    if (index >= 0) {
      for (const auto& b : current_->pools[size_t(index)].backends)
        if (std::find(addresses.begin(), addresses.end(), b->id()) == addresses.end())
          removed_[b->id()] = b;
    }
  }
  for (const auto& a : addresses)
    removed_.erase(a);
  membership_[std::string(pool)] = std::move(addresses);
  if (auto built = rebuild(config_, scripts_); !built)
    log::error("upstream {}: membership not published: {}", pool, built.error().message());
}

int64_t Server::inflight(std::string_view pool, std::string_view address) const {
  if (auto it = removed_.find(std::string(address)); it != removed_.end())
    return it->second->stats().inflight.load(std::memory_order_relaxed);
  if (current_) {
    int index = current_->poolIndex(pool);
    if (index >= 0)
      for (const auto& b : current_->pools[size_t(index)].backends)
        if (b->id() == address) return b->stats().inflight.load(std::memory_order_relaxed);
  }
  return 0;
}

void Server::closeIdle(std::string_view, std::string_view address) {
  // Workers already close idle connections to a backend that left every pool when they
  // install the snapshot without it; this catches connections a finishing request returned
  // to the pool since then.
  auto it = removed_.find(std::string(address));
  if (it == removed_.end()) return;
  for (auto& w : workers_)
    asio::post(w->io(), [worker = w.get(), backend = it->second] {
      worker->upstreams().closeIdle(backend.get());
    });
}

void Server::publish(std::shared_ptr<const proxy::Snapshot> snap) {
  for (auto& w : workers_) {
    asio::post(w->io(), [worker = w.get(), snap] { worker->installSnapshot(snap); });
  }
}

void Server::reload() {
  const std::string& path = config_->source_path;
  log::info("SIGHUP: reloading {}", path);
  // Log rotation: the file was probably renamed; write to a new one at the same path.
  if (access_log_) {
    if (auto reopened = access_log_->reopen(); !reopened)
      log::error("access_log: {}", reopened.error().message());
  }
  auto loaded = config::loadConfigFile(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors)
      log::error("reload rejected: {}", e.toString());
    return;
  }
  if (loaded.config->listen != config_->listen || loaded.config->workers != config_->workers)
    log::warn("reload: listen and workers changes take effect only after a restart");
  auto scaleKey = [](const config::Config& c) {
    std::string key;
    for (const auto& u : c.upstreams) {
      if (!u.scale) continue;
      const config::ScaleConfig& sc = *u.scale;
      key += u.name + "|" + sc.provider + "|" + std::to_string(sc.min) + "|" +
             std::to_string(sc.max) + "|" + std::to_string(sc.interval_ms) + "|" +
             std::to_string(sc.cooldown_up_ms) + "|" + std::to_string(sc.cooldown_down_ms) + "|" +
             (sc.dry_run ? "dry" : "") + "|" + sc.policy.name + sc.policy.file + sc.policy.code +
             sc.policy.params_json + "|" + sc.process.command + "\n";
    }
    return key;
  };
  if (scaleKey(*loaded.config) != scaleKey(*config_))
    log::warn("reload: scale: changes take effect only after a restart");
  if (loaded.config->access_log.has_value() != config_->access_log.has_value() ||
      (config_->access_log && loaded.config->access_log->path != config_->access_log->path))
    log::warn("reload: access_log changes take effect only after a restart");
  if (loaded.config->lua.memory_limit_bytes != config_->lua.memory_limit_bytes ||
      loaded.config->lua.time_limit != config_->lua.time_limit ||
      loaded.config->lua.shared_dicts != config_->lua.shared_dicts)
    log::warn(
        "reload: lua memory_limit, time_limit and shared_dicts take effect only "
        "after a restart");
  auto next = std::make_shared<const config::Config>(std::move(*loaded.config));
  auto scripts = buildScripts(*next, scriptVmOptions(), generation_ + 1, scripts_);
  if (!scripts) {
    log::error("reload rejected, the old config and scripts stay in force:\n{}",
               scripts.error().message());
    return;
  }
  if (auto built = rebuild(next, scripts.value()); !built) {
    log::error("reload rejected: {}", built.error().message());
    return;
  }
  if (next->lua.control_script != config_->lua.control_script ||
      !next->lua.control_script.empty()) {
    if (auto control = loadControlScript(*next); !control)
      log::error("reload: control script rejected, the old one stays in force: {}",
                 control.error().message());
  }
  config_ = next;
  scripts_ = scripts.value();
  watched_mtimes_.clear();
  for (const auto& file : scriptFiles(*config_))
    watched_mtimes_[file] = mtimeNs(file);
  log::info("reloaded: generation {}, {} route(s), {} upstream(s)", generation_,
            config_->routes.size(), config_->upstreams.size());
}

void Server::reloadScripts(const std::string& why) {
  auto scripts = buildScripts(*config_, scriptVmOptions(), generation_ + 1, nullptr);
  if (!scripts) {
    log::error("{}: scripts rejected, the old ones stay in force:\n{}", why,
               scripts.error().message());
    return;
  }
  if (auto built = rebuild(config_, scripts.value()); !built) {
    log::error("{}: {}", why, built.error().message());
    return;
  }
  scripts_ = scripts.value();
  log::info("{}: scripts reloaded (generation {})", why, generation_);
}

void Server::scheduleTick() {
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    tick();
    scheduleTick();
  });
}

void Server::tick() {
  if (access_log_) access_log_metrics_.update(*access_log_, telemetry_->controlShard());
  telemetry_->tick(localProcesses());
  if (config_->lua.watch) watchScripts();
}

void Server::watchScripts() {
  bool changed = false;
  for (auto& [file, mtime] : watched_mtimes_) {
    int64_t now = mtimeNs(file);
    if (now != mtime) {
      mtime = now;
      changed = true;
    }
  }
  if (changed) reloadScripts("script file changed");
}

void Server::startDrain() {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ms_ = coarseNowMs() + config_->timeouts.drain_ms;
  for (auto& w : workers_)
    asio::post(w->io(), [worker = w.get()] { worker->beginDrain(); });
  checkDrained();
}

void Server::checkDrained() {
  int64_t busy = 0;
  for (auto& w : workers_)
    busy += w->active_connections.load(std::memory_order_relaxed);
  if (busy == 0 || coarseNowMs() >= drain_deadline_ms_) {
    if (busy) log::warn("drain timeout: closing {} connection(s) still open", busy);
    tick_timer_.cancel();
    control_vm_timer_.cancel();
    scraper_->stop();
    if (admin_) admin_->stop();
    // Clients are gone: now the pools' instances can drain and stop.
    stopScaling([this] { control_.stop(); });
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](std::error_code ec) {
    if (!ec) checkDrained();
  });
}

}  // namespace tidegate::server
