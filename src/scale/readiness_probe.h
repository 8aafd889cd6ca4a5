#pragma once
// The process provider's readiness probe: one asynchronous HTTP/1.1 `GET <path>` to an
// instance, on the control loop, with a timeout (upstream::HttpFetch reading the status line
// only); a 2xx status line means the instance may receive traffic.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "upstream/http_fetch.h"

namespace tidegate::scale {

struct ProbeResult {
  bool ready = false;  // status 200..299
  int status = 0;      // the HTTP status; 0 when none was read
  std::string detail;  // for people: "HTTP 200", "connect: Connection refused", "timed out after
                       // 1000 ms"
};

// Starts a probe of `endpoint`. `done` runs exactly once, on `io`'s thread, unless the returned
// fetch is cancelled first (then never). The probe keeps itself alive until its operations
// finish; the returned pointer is only needed to cancel it.
std::shared_ptr<upstream::HttpFetch> startReadinessProbe(asio::io_context& io,
                                                         const asio::ip::tcp::endpoint& endpoint,
                                                         std::string_view path,
                                                         std::chrono::milliseconds timeout,
                                                         std::function<void(ProbeResult)> done);

}  // namespace tidegate::scale
