#include "server/server.h"

#include <signal.h>

#include <asio/signal_set.hpp>

#include "config/loader.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/listener.h"

namespace tidegate::server {

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

  auto snap = buildSnapshot(config_, registry_, ++generation_, buffer_size_);
  if (!snap) {
    log::error("{}", snap.error().message());
    return 1;
  }
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<proxy::Worker>(int(i), buffer_size_);
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
    w->installSnapshot(snap.value());
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    threads_.emplace_back([&worker = *w] {
      pthread_setname_np(pthread_self(), ("tg-worker-" + std::to_string(worker.id())).c_str());
      worker.run();
    });
  }
  for (const auto& text : config_->listen)
    log::info("listening on {}", text);
  log::info("tidegate running: {} worker(s), {} route(s), {} upstream(s)", n,
            config_->routes.size(), config_->upstreams.size());

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
  control_.run();

  for (auto& w : workers_)
    w->io().stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  log::info("tidegate stopped");
  return 0;
}

void Server::publish(std::shared_ptr<const proxy::Snapshot> snap) {
  for (auto& w : workers_) {
    asio::post(w->io(), [worker = w.get(), snap] { worker->installSnapshot(snap); });
  }
}

void Server::reload() {
  const std::string& path = config_->source_path;
  log::info("SIGHUP: reloading {}", path);
  auto loaded = config::loadConfigFile(path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors)
      log::error("reload rejected: {}", e.toString());
    return;
  }
  if (loaded.config->listen != config_->listen || loaded.config->workers != config_->workers)
    log::warn("reload: listen and workers changes take effect only after a restart");
  auto next = std::make_shared<const config::Config>(std::move(*loaded.config));
  auto snap = buildSnapshot(next, registry_, ++generation_, buffer_size_);
  if (!snap) {
    log::error("reload rejected: {}", snap.error().message());
    return;
  }
  config_ = next;
  publish(snap.value());
  log::info("reloaded: generation {}, {} route(s), {} upstream(s)", generation_,
            config_->routes.size(), config_->upstreams.size());
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
    control_.stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(20));
  drain_timer_.async_wait([this](std::error_code ec) {
    if (!ec) checkDrained();
  });
}

}  // namespace tidegate::server
