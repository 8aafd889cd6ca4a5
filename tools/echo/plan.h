#pragma once
// Plan: what the echo will do with one complete request -- which body, which status, how
// long to hold it, whether to cut the connection -- decided from the path, the query
// parameters and the failure-injection draws. Pure: no I/O, no clock.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "echo/options.h"
#include "echo/request_head.h"
#include "echo/response.h"

namespace tidegate::echo {

struct Plan {
  enum class Body : uint8_t {
    kFixed,    // --body / --body-size
    kEcho,     // the request head as received, then its (decoded) body
    kReason,   // "503 Service Unavailable\n"
    kSized,    // ?size=N bytes of 'x'
    kMetrics,  // --metrics: the echo's own counters as Prometheus text
  };
  enum class Cut : uint8_t {
    kNone,
    kBefore,  // close without answering
    kMid,     // send the head and half the body, then close
  };

  ResponseShape shape;
  Body body = Body::kFixed;
  Cut cut = Cut::kNone;
  int64_t latency_ns = 0;
  int64_t cpu_ns = 0;
  size_t size = 0;         // kSized
  bool uses_slot = false;  // counts against --slots
  bool counted = true;     // in echo_inflight / echo_requests_total (not /healthz, --metrics)
};

// `fail_draw` and `close_draw` are uniform in [0, 1): the request fails when fail_draw <
// --fail-rate, and is cut mid-response when close_draw < --close-rate. /healthz is exempt
// from flags (latency, cpu, slots, injection) but not from its own query parameters, and so
// is the --metrics path.
Plan makePlan(const RequestHead& head, const Options& options, double fail_draw, double close_draw);

}  // namespace tidegate::echo
