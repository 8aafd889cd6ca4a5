#include "scale/readiness_probe.h"

#include <asio/connect.hpp>
#include <asio/write.hpp>

#include <fmt/format.h>

namespace tidegate::scale {
namespace {

constexpr size_t kMaxStatusLine = 1024;

std::string hostHeader(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

}  // namespace

int parseStatusLine(std::string_view line) {
  // HTTP/1.x SP 3DIGIT (SP reason)?
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return 0;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    status = status * 10 + (line[i] - '0');
  }
  if (line.size() > 12 && line[12] != ' ' && line[12] != '\r') return 0;
  return status >= 100 ? status : 0;
}

ReadinessProbe::ReadinessProbe(asio::io_context& io, std::string request, Done done)
    : socket_(io), timer_(io), request_(std::move(request)), done_(std::move(done)) {}

std::shared_ptr<ReadinessProbe> ReadinessProbe::start(asio::io_context& io,
                                                      const asio::ip::tcp::endpoint& endpoint,
                                                      std::string_view path,
                                                      std::chrono::milliseconds timeout,
                                                      Done done) {
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tidegate-readiness\r\nConnection: close\r\n\r\n",
      path.empty() ? "/" : path, hostHeader(endpoint));
  auto probe = std::make_shared<ReadinessProbe>(io, std::move(request), std::move(done));
  probe->run(endpoint, timeout);
  return probe;
}

void ReadinessProbe::run(const asio::ip::tcp::endpoint& endpoint,
                         std::chrono::milliseconds timeout) {
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this(), timeout](std::error_code ec) {
    if (ec) return;  // cancelled: the probe finished first
    self->finish({false, 0, fmt::format("timed out after {} ms", timeout.count())});
  });
  socket_.async_connect(endpoint, [self = shared_from_this()](std::error_code ec) {
    if (ec) return self->finish({false, 0, ec.message()});
    asio::async_write(self->socket_, asio::buffer(self->request_),
                      [self](std::error_code ec, size_t) {
                        if (ec) return self->finish({false, 0, ec.message()});
                        self->readStatusLine();
                      });
  });
}

void ReadinessProbe::readStatusLine() {
  socket_.async_read_some(
      asio::buffer(chunk_), [self = shared_from_this()](std::error_code ec, size_t n) {
        if (self->finished_) return;
        self->response_.append(self->chunk_.data(), n);
        size_t end = self->response_.find('\n');
        if (end == std::string::npos) {
          if (!ec && self->response_.size() < kMaxStatusLine) return self->readStatusLine();
          if (ec && self->response_.empty()) {
            return self->finish({false, 0, "closed before answering: " + ec.message()});
          }
          return self->finish({false, 0, "no HTTP status line in the response"});
        }
        std::string_view line(self->response_.data(), end);
        int status = parseStatusLine(line);
        if (status == 0) return self->finish({false, 0, "malformed HTTP status line"});
        self->finish({status >= 200 && status < 300, status, fmt::format("HTTP {}", status)});
      });
}

void ReadinessProbe::finish(ProbeResult result) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
  if (done_) {
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }
}

void ReadinessProbe::cancel() {
  done_ = nullptr;
  finish({});
}

}  // namespace tidegate::scale
