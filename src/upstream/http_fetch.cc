#include "upstream/http_fetch.h"

#include <asio/write.hpp>

#include <fmt/format.h>

namespace tidegate::upstream {

namespace {
constexpr size_t kMaxStatusLine = 1024;
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

HttpFetch::HttpFetch(asio::io_context& io, const FetchRequest& request, Done done)
    : socket_(io),
      timer_(io),
      reader_(request.max_bytes),
      max_bytes_(request.max_bytes),
      status_line_only_(request.status_line_only),
      done_(std::move(done)) {}

std::shared_ptr<HttpFetch> HttpFetch::start(asio::io_context& io, const FetchRequest& request,
                                            Done done) {
  auto fetch = std::make_shared<HttpFetch>(io, request, std::move(done));
  fetch->run(request);
  return fetch;
}

void HttpFetch::run(const FetchRequest& request) {
  request_ =
      fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n{}Connection: close\r\n\r\n",
                  request.target, request.host, request.user_agent, request.extra_headers);
  timer_.expires_after(request.timeout);
  timer_.async_wait([self = shared_from_this(), ms = request.timeout.count()](std::error_code ec) {
    if (ec) return;  // cancelled: the fetch ended first
    self->fail(FetchResult::Outcome::kTimeout, fmt::format("timed out after {} ms", ms));
  });
  socket_.async_connect(request.endpoint, [self = shared_from_this()](std::error_code ec) {
    if (self->finished_) return;
    if (ec) return self->fail(FetchResult::Outcome::kError, "connect: " + ec.message());
    asio::async_write(
        self->socket_, asio::buffer(self->request_), [self](std::error_code ec, size_t) {
          if (self->finished_) return;
          if (ec)
            return self->fail(FetchResult::Outcome::kError, "sending the request: " + ec.message());
          if (self->status_line_only_) return self->readStatusLine();
          self->read();
        });
  });
}

void HttpFetch::read() {
  socket_.async_read_some(
      asio::buffer(chunk_), [self = shared_from_this()](std::error_code ec, size_t n) {
        if (self->finished_) return;
        if (self->received_.size() + n > self->max_bytes_)
          return self->fail(FetchResult::Outcome::kError,
                            fmt::format("the response is larger than {} bytes", self->max_bytes_));
        self->received_.append(self->chunk_.data(), n);
        const bool closed = ec == asio::error::eof;
        if (ec && !closed)
          return self->fail(FetchResult::Outcome::kError, "reading: " + ec.message());
        switch (self->reader_.update(self->received_, closed)) {
          case http::ResponseReader::State::kIncomplete:
            return self->read();
          case http::ResponseReader::State::kError:
            return self->fail(FetchResult::Outcome::kError,
                              "bad response: " + std::string(self->reader_.error()));
          case http::ResponseReader::State::kComplete:
            return self->succeed(self->reader_.status(), std::string(self->reader_.body()));
        }
      });
}

void HttpFetch::readStatusLine() {
  socket_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](std::error_code ec,
                                                                            size_t n) {
    if (self->finished_) return;
    self->received_.append(self->chunk_.data(), n);
    size_t end = self->received_.find('\n');
    if (end >= kMaxStatusLine) end = std::string::npos;  // a line this long is no status line
    if (end == std::string::npos) {
      if (!ec && self->received_.size() < kMaxStatusLine) return self->readStatusLine();
      if (ec && self->received_.empty()) {
        return self->fail(FetchResult::Outcome::kError, "closed before answering: " + ec.message());
      }
      return self->fail(FetchResult::Outcome::kError, "no HTTP status line in the response");
    }
    const int status = parseStatusLine(std::string_view(self->received_.data(), end));
    if (status == 0) {
      return self->fail(FetchResult::Outcome::kError, "malformed HTTP status line");
    }
    self->succeed(static_cast<uint16_t>(status), {});
  });
}

void HttpFetch::succeed(uint16_t status, std::string body) {
  FetchResult r;
  r.outcome = FetchResult::Outcome::kResponse;
  r.status = status;
  r.body = std::move(body);
  r.detail = fmt::format("HTTP {}", status);
  finish(std::move(r));
}

void HttpFetch::fail(FetchResult::Outcome outcome, std::string detail) {
  FetchResult r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  finish(std::move(r));
}

void HttpFetch::finish(FetchResult result) {
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

void HttpFetch::cancel() {
  done_ = nullptr;
  finish({});
}

}  // namespace tidegate::upstream
