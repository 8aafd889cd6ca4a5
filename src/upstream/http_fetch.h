#pragma once
// HttpFetch: one asynchronous HTTP/1.1 `GET` to a backend on the control loop: connect, send
// the request with `Connection: close`, read until the response is whole (http::ResponseReader:
// Content-Length, chunked or until close) or a byte cap is passed, everything within one
// timeout. The backend scraper reads whole documents; the readiness probe stops at the status
// line, so that a body the instance is slow to send cannot make it look unready. Never blocks;
// the socket is closed when it ends. Runs on the io_context's thread only.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "http/response_reader.h"

namespace tidegate::upstream {

struct FetchResult {
  enum class Outcome : uint8_t {
    kResponse,  // a whole response (or its status line): `status` and `body` (any status: the
                // caller judges it)
    kError,     // refused, reset, closed early, malformed, over the byte cap
    kTimeout,   // not done within the timeout
  };
  Outcome outcome = Outcome::kError;
  uint16_t status = 0;
  std::string body;
  std::string detail;  // for logs: "HTTP 200", "connect: Connection refused", "timed out after
                       // 1000 ms"
};

struct FetchRequest {
  asio::ip::tcp::endpoint endpoint;
  std::string host;    // the Host header, e.g. "10.0.0.7:8080"
  std::string target;  // origin form: "/metrics"
  std::string user_agent = "tidegate";
  std::string extra_headers;  // whole lines with CRLF, e.g. "Accept: text/plain\r\n"
  std::chrono::milliseconds timeout{1000};
  size_t max_bytes = 4 << 20;     // response bytes (head and body) read at most
  bool status_line_only = false;  // done at the status line: no body is read
};

class HttpFetch : public std::enable_shared_from_this<HttpFetch> {
 public:
  using Done = std::function<void(FetchResult)>;

  // Starts the fetch. `done` runs exactly once, on `io`'s thread, unless cancel() comes first
  // (then never). The fetch keeps itself alive until its operations finish; the pointer
  // returned is only needed to cancel it.
  static std::shared_ptr<HttpFetch> start(asio::io_context& io, const FetchRequest& request,
                                          Done done);
  // Abandons the fetch: closes the socket; `done` is never called. Idempotent.
  void cancel();

  HttpFetch(asio::io_context& io, const FetchRequest& request, Done done);

 private:
  void run(const FetchRequest& request);
  void read();
  void readStatusLine();
  void finish(FetchResult result);
  void succeed(uint16_t status, std::string body);
  void fail(FetchResult::Outcome outcome, std::string detail);

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::string request_;
  std::string received_;
  std::array<char, 16 * 1024> chunk_{};
  http::ResponseReader reader_;
  size_t max_bytes_;
  bool status_line_only_;
  Done done_;
  bool finished_ = false;
};

// "HTTP/1.1 204 No Content" -> 204; 0 when the line is not an HTTP/1.x status line.
int parseStatusLine(std::string_view line);

}  // namespace tidegate::upstream
