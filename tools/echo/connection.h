#pragma once
// One client connection of the echo and the request it is working on. Connections answer
// their requests strictly one at a time, in order (pipelined ones wait in the read buffer,
// as with a thread-per-connection server), so this is the whole per-connection state.
// Owned and touched only by the worker thread that accepted it; kept in a spare list after
// close so its buffers are reused.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "echo/chunked_body.h"
#include "echo/plan.h"
#include "echo/request_head.h"

namespace tidegate::echo {

enum class Phase : uint8_t {
  kHead,         // waiting for (or parsing) a request head
  kBody,         // head parsed, waiting for the rest of the body
  kWaitingSlot,  // request complete, queued for a --slots slot
  kInService,    // request complete, its --latency timer is running
  kLingering,    // response sent, write side shut, draining until the peer closes
};

struct Connection {
  int fd = -1;
  uint32_t generation = 0;  // tells a live connection from a closed one reusing its fd
  Phase phase = Phase::kHead;

  // Read buffer: [request_begin, in_length) is unanswered input.
  std::unique_ptr<char[]> in;
  size_t in_capacity = 0;
  size_t in_length = 0;
  size_t request_begin = 0;
  size_t head_scanned = 0;  // resume point of the blank-line search (parseRequestHead)
  size_t request_end = 0;

  RequestHead head;  // views into `in`
  ChunkedBody chunked;
  std::string body;  // decoded chunked body, kept only for /echo
  bool keep_body = false;
  bool continue_sent = false;
  Plan plan;

  std::string out;  // responses not yet written
  size_t out_sent = 0;

  bool close_after_flush = false;  // no more requests: close once `out` is written
  bool peer_closed = false;
  bool holds_slot = false;
  bool in_flight = false;  // counted in LiveCounters::inflight
  int64_t last_active_ns = 0;
  int64_t linger_deadline_ns = 0;
  uint32_t events = 0;  // current epoll interest

  size_t pendingOutput() const { return out.size() - out_sent; }
};

}  // namespace tidegate::echo
