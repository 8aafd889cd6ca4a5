#pragma once
// AccessLog: one JSON line per request, written by a background thread so that a slow disk
// never blocks a worker. Each worker formats its records straight into its own ring.
//
// Why it is built this way: a worker must never take a lock, allocate or make a syscall per
// record. So every worker owns a single-producer/single-consumer byte ring (`Writer`); it
// formats the JSON line into the ring and publishes it with one release store. One writer
// thread drains all rings in batches with writev(2), waking on a short interval or when a ring
// passes half full (an eventfd write, at most once per writer batch and ring). A full ring
// drops the record and counts it: losing a log line beats stalling traffic.
//
// Threads: `writer(i).append()` only from worker i (one producer per ring); open, reopen,
// flush, dropped and destruction from any one control thread.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"

namespace tidegate::metrics {

// One finished request. Views need only live for the append() call. Durations below zero are
// absent and omitted from the line (no backend, no upstream connect, …).
struct AccessRecord {
  int64_t unix_ms = 0;  // when the request finished, milliseconds since the Unix epoch
  std::string_view route, upstream, backend, method, path, query, client_ip, request_id;
  int status = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  double duration_ms = -1, upstream_connect_ms = -1, upstream_header_ms = -1,
         upstream_total_ms = -1;
};

struct AccessLogOptions {
  // How long the writer thread sleeps when no ring asks to be drained sooner.
  std::chrono::milliseconds flush_interval{50};
  // Test hook: runs on the writer thread before each batch is written (e.g. to make the disk
  // look slow). Nothing is consumed from a ring until the batch after it has been written.
  std::function<void()> before_write;
};

class AccessLog {
 public:
  // The producer side of one worker's ring. Not copyable; lives as long as the AccessLog.
  class alignas(64) Writer {
   public:
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    // Formats `r` as one JSON line into the ring. False (and counted in dropped()) when the
    // ring has no room; never blocks, never allocates.
    bool append(const AccessRecord& r) noexcept;

   private:
    friend class AccessLog;
    Writer(size_t capacity, int wake_fd);

    // Producer-owned (worker i).
    char* buf_;
    uint64_t mask_;
    uint64_t capacity_;
    uint64_t head_local_ = 0;   // next byte to write (published through head_)
    uint64_t tail_cached_ = 0;  // last tail seen: free space is at least capacity - (head-tail)
    bool woke_ = false;         // a wakeup was sent since the consumer last made progress
    int wake_fd_;
    alignas(64) std::atomic<uint64_t> head_{0};  // written by the producer
    std::atomic<uint64_t> dropped_{0};           // written by the producer
    alignas(64) std::atomic<uint64_t> tail_{0};  // written by the consumer
  };

  // Opens (creates, appends to) `path` and starts the writer thread. Each of `worker_count`
  // rings holds `per_worker_buffer_bytes` rounded up to a power of two (at least 4 KiB).
  static Result<std::unique_ptr<AccessLog>> open(std::string path, size_t worker_count,
                                                 size_t per_worker_buffer_bytes,
                                                 AccessLogOptions options = {});

  // Writes everything pending, stops the writer thread and closes the file.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  Writer& writer(size_t worker_id) { return *writers_[worker_id]; }
  size_t workerCount() const { return writers_.size(); }

  // Opens the path again (after logrotate renamed the file, on SIGHUP). On error the old file
  // stays in use. Records not yet written go to the new file.
  Result<Ok> reopen();
  // Writes every record appended (by any worker) before the call; returns when it is written.
  void flush();

  uint64_t dropped() const;       // records refused because a ring was full
  uint64_t writeErrors() const {  // failed write(2) calls (the batch is lost)
    return write_errors_.load(std::memory_order_relaxed);
  }
  const std::string& path() const { return path_; }

 private:
  AccessLog(std::string path, int fd, int wake_fd, AccessLogOptions options);
  void run();
  void drainLocked();  // io_mutex_ held

  std::string path_;
  AccessLogOptions options_;
  std::vector<std::unique_ptr<Writer>> writers_;
  std::mutex io_mutex_;  // the consumer side: fd_ and every ring's tail; never a worker
  int fd_;
  int wake_fd_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> write_errors_{0};
  std::thread thread_;
};

}  // namespace tidegate::metrics
