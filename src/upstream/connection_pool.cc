#include "upstream/connection_pool.h"

#include <algorithm>

namespace tidegate::upstream {

ConnectionPtr ConnectionPool::take(const Backend* backend) {
  auto it = idle_.find(backend);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  ConnectionPtr conn = std::move(it->second.back());
  it->second.pop_back();
  conn->watch_id = 0;  // the pending wait, when it completes, finds nothing to close
  std::error_code ignored;
  conn->socket.cancel(ignored);
  return conn;
}

void ConnectionPool::put(ConnectionPtr conn, int64_t now_ms, uint32_t max_idle) {
  if (max_idle == 0) return;
  auto& list = idle_[conn->backend.get()];
  if (list.size() >= max_idle) list.erase(list.begin());  // oldest first
  conn->idle_since_ms = now_ms;
  watch(*conn);
  list.push_back(std::move(conn));
}

void ConnectionPool::watch(UpstreamConnection& conn) {
  conn.watch_id = next_watch_id_++;
  // A read rather than async_wait: Asio re-arms epoll for every wait (EPOLL_CTL_MOD), while
  // this read is queued without a syscall.
  conn.socket.async_read_some(
      asio::buffer(&conn.probe, 1),
      [this, b = conn.backend.get(), id = conn.watch_id](std::error_code ec, size_t) {
        if (ec == asio::error::operation_aborted) return;
        onIdleEvent(b, id);
      });
}

void ConnectionPool::onIdleEvent(const Backend* backend, uint64_t watch_id) {
  // Completing while idle means EOF, a reset or bytes nobody asked for: unusable either way.
  auto it = idle_.find(backend);
  if (it == idle_.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(),
                          [&](const ConnectionPtr& c) { return c->watch_id == watch_id; });
  if (pos != list.end()) list.erase(pos);
}

void ConnectionPool::sweep(int64_t now_ms, int64_t idle_timeout_ms) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    std::erase_if(
        list, [&](const ConnectionPtr& c) { return now_ms - c->idle_since_ms >= idle_timeout_ms; });
    if (list.empty())
      it = idle_.erase(it);
    else
      ++it;
  }
}

void ConnectionPool::closeIdle(const Backend* backend) {
  idle_.erase(backend);
}

void ConnectionPool::clear() {
  idle_.clear();
}

size_t ConnectionPool::idleCount() const {
  size_t n = 0;
  for (auto& [b, list] : idle_)
    n += list.size();
  return n;
}

}  // namespace tidegate::upstream
