#pragma once
// Worker: the state one worker thread owns — its event loop, buffers, upstream connection
// pool, deadline sweeper and current snapshot. Everything here is touched only by that
// thread, except the counters the control thread reads (relaxed atomics written by the
// owner alone) and post()ed closures.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "core/buffer.h"
#include "core/local_ref.h"
#include "core/result.h"
#include "event/deadline.h"
#include "lua/vm.h"
#include "metrics/access_log.h"
#include "metrics/shard.h"
#include "proxy/exchange.h"
#include "proxy/snapshot.h"
#include "upstream/connection_pool.h"

namespace tidegate::proxy {

class Worker {
 public:
  Worker(int id, size_t buffer_size);
  ~Worker();

  int id() const { return id_; }
  asio::io_context& io() { return io_; }

  // --- worker thread only ---
  const LocalRef<WorkerSnapshot>& snapshot() const { return snapshot_; }
  void installSnapshot(std::shared_ptr<const Snapshot> snap);
  // Starts accepting on `acceptor` (already bound; owned by this worker from now on).
  void addListener(asio::ip::tcp::acceptor acceptor);
  void stopAccepting();
  // Stop: close idle client connections now, the busy ones after their current response.
  void beginDrain();
  bool draining() const { return draining_; }
  void run();  // runs the loop until stopped; call from the worker's own thread

  // Before the worker runs: its metric shard (the control thread folds it) and its Lua VM.
  void setMetricShard(std::shared_ptr<metrics::MetricShard> shard) { shard_ = std::move(shard); }
  Result<Ok> createLuaVm(lua::VmOptions options);
  void setAccessLog(metrics::AccessLog::Writer* writer) { access_log_ = writer; }

  // Null when the access log is off.
  metrics::AccessLog::Writer* accessLog() { return access_log_; }
  metrics::MetricShard& shard() { return *shard_; }
  lua::LuaVm* luaVm() { return vm_.get(); }
  BufferPool& buffers() { return buffers_; }
  ExchangePool& exchanges() { return exchanges_; }
  upstream::ConnectionPool& upstreams() { return upstreams_; }
  event::DeadlineSweeper& sweeper() { return sweeper_; }
  // A 32-hex-digit request id, unique per process run with overwhelming probability.
  void nextRequestId(char out[32]);
  uint64_t random();

  // Session bookkeeping (worker thread writes, any thread reads).
  std::atomic<int64_t> active_connections{0};
  std::atomic<int64_t> active_requests{0};
  std::atomic<uint64_t> requests_total{0};

  // Idle client sessions register here so that a drain can close them.
  struct IdleSession {
    asio::ip::tcp::socket* socket;
    IdleSession* prev = nullptr;
    IdleSession* next = nullptr;
  };
  void linkIdle(IdleSession& s);
  void unlinkIdle(IdleSession& s);

 private:
  void startUpstreamSweep();
  void loadScripts(WorkerSnapshot& next);

  int id_;
  // Destroyed after the event loop below: coroutine frames pin snapshots whose scripts live in
  // this VM, and a Script must be destroyed before its VM.
  std::unique_ptr<lua::LuaVm> vm_;
  std::shared_ptr<metrics::MetricShard> shard_ = std::make_shared<metrics::MetricShard>();
  metrics::AccessLog::Writer* access_log_ = nullptr;
  // Declared first so that it is destroyed last: the coroutine frames it still owns at exit
  // hold sockets and deadlines that refer to the members below.
  asio::io_context io_;
  BufferPool buffers_;
  ExchangePool exchanges_;
  upstream::ConnectionPool upstreams_;
  event::DeadlineSweeper sweeper_;
  asio::steady_timer upstream_sweep_timer_;
  std::vector<asio::ip::tcp::acceptor> acceptors_;
  LocalRef<WorkerSnapshot> snapshot_;
  IdleSession* idle_head_ = nullptr;
  bool draining_ = false;
  uint64_t rng_state_;
  uint64_t request_counter_ = 0;
};

}  // namespace tidegate::proxy
