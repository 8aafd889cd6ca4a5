#pragma once
// ReadinessProbe: one asynchronous HTTP/1.1 `GET <path>` to an instance, on the control
// loop, with a timeout: a 2xx status line means the instance may receive traffic.

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

namespace tidegate::scale {

struct ProbeResult {
  bool ready = false;  // status 200..299
  int status = 0;      // the HTTP status; 0 when none was read
  std::string detail;  // for people: "HTTP 200", "Connection refused", "timed out after 1000 ms"
};

// Reads only the status line: readiness is the status, and a body the instance is slow to
// send must not make it look unready. The connection is closed after the status line.
class ReadinessProbe : public std::enable_shared_from_this<ReadinessProbe> {
 public:
  using Done = std::function<void(ProbeResult)>;

  // Starts a probe of `endpoint`. `done` runs exactly once, on `io`'s thread, unless cancel()
  // comes first (then never). The probe keeps itself alive until its operations finish; the
  // returned pointer is only needed to cancel it.
  static std::shared_ptr<ReadinessProbe> start(asio::io_context& io,
                                               const asio::ip::tcp::endpoint& endpoint,
                                               std::string_view path,
                                               std::chrono::milliseconds timeout, Done done);
  // Abandons the probe: closes the socket, `done` is never called. Idempotent.
  void cancel();

  ReadinessProbe(asio::io_context& io, std::string request, Done done);

 private:
  void run(const asio::ip::tcp::endpoint& endpoint, std::chrono::milliseconds timeout);
  void readStatusLine();
  void finish(ProbeResult result);

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string request_;
  std::string response_;
  std::array<char, 512> chunk_{};
  Done done_;
  bool finished_ = false;
};

// "HTTP/1.1 204 No Content" -> 204; 0 when the line is not an HTTP/1.x status line.
int parseStatusLine(std::string_view line);

}  // namespace tidegate::scale
