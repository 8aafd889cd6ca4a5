#pragma once
// Keep-alive connections to backends, one pool per worker (no locks). An idle connection
// keeps a one-byte read pending: if the backend closes it (or sends stray bytes) while
// it sits in the pool, the wait fires and the connection is dropped at once — the stale
// keep-alive race is caught before a request is written, without a syscall per request.
// Connections idle longer than the upstream idle timeout (kept below the backends' own)
// are closed by sweep().

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <asio/ip/tcp.hpp>

#include "upstream/backend.h"

namespace tidegate::upstream {

struct UpstreamConnection {
  explicit UpstreamConnection(asio::io_context& io, BackendPtr b)
      : socket(io), backend(std::move(b)) {}
  asio::ip::tcp::socket socket;
  BackendPtr backend;
  uint32_t requests = 0;  // served on this connection
  int64_t idle_since_ms = 0;
  uint64_t watch_id = 0;  // identifies the pending idle read
  char probe = 0;         // target of the idle read: any byte means the connection is unusable
};

using ConnectionPtr = std::unique_ptr<UpstreamConnection>;

class ConnectionPool {
 public:
  ConnectionPool() = default;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  ~ConnectionPool() { clear(); }

  // The most recently used idle connection to `backend`, or null.
  ConnectionPtr take(const Backend* backend);
  // Keeps `conn` idle for reuse (at most `max_idle` per backend; the oldest goes first).
  void put(ConnectionPtr conn, int64_t now_ms, uint32_t max_idle);
  // Closes idle connections older than `idle_timeout_ms`.
  void sweep(int64_t now_ms, int64_t idle_timeout_ms);
  // Closes every idle connection to `backend` (it left the pool, or is draining).
  void closeIdle(const Backend* backend);
  void clear();
  size_t idleCount() const;

 private:
  void watch(UpstreamConnection& conn);
  void onIdleEvent(const Backend* backend, uint64_t watch_id);

  std::unordered_map<const Backend*, std::vector<ConnectionPtr>> idle_;
  uint64_t next_watch_id_ = 1;
};

}  // namespace tidegate::upstream
