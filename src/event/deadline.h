#pragma once
// Coarse timeouts without a timer per operation: each connection owns a Deadline that it
// re-arms before every socket operation (a store, no syscall); the worker's DeadlineSweeper
// walks the armed deadlines every kTickMs and cancels the socket of each expired one, so
// the pending operation completes with operation_aborted and its coroutine sees expired().
// This is how HAProxy and nginx keep per-request timeouts cheap. One thread only.

#include <cstdint>
#include <functional>
#include <memory>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

namespace tidegate::event {

class DeadlineSweeper;

class Deadline {
 public:
  explicit Deadline(DeadlineSweeper& sweeper) : sweeper_(&sweeper) {}
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // From now on, cancel `socket` if still armed at `at_ms` (coarse clock).
  void arm(asio::ip::tcp::socket& socket, int64_t at_ms);
  void disarm();
  bool armed() const { return armed_; }
  // True once the sweeper cancelled the socket for this deadline (reset by arm()).
  bool expired() const { return expired_; }

 private:
  friend class DeadlineSweeper;
  DeadlineSweeper* sweeper_;
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
  asio::ip::tcp::socket* socket_ = nullptr;
  int64_t at_ms_ = 0;
  bool armed_ = false;
  bool expired_ = false;
};

class DeadlineSweeper {
 public:
  static constexpr int64_t kTickMs = 100;

  explicit DeadlineSweeper(asio::io_context& io) : timer_(io) {}
  ~DeadlineSweeper();
  DeadlineSweeper(const DeadlineSweeper&) = delete;
  DeadlineSweeper& operator=(const DeadlineSweeper&) = delete;
  void start();
  void stop() { timer_.cancel(); }
  size_t armedCount() const { return count_; }

 private:
  friend class Deadline;
  void link(Deadline* d);
  void unlink(Deadline* d);
  void sweep();

  asio::steady_timer timer_;
  Deadline* head_ = nullptr;
  size_t count_ = 0;
  bool stopped_ = false;
};

}  // namespace tidegate::event
