#pragma once
// ResponseReader: one whole response, head and body, from a connection that carries nothing
// else: what a small client needs after `GET ... Connection: close` (the backend scraper).
// Pure, no I/O; one reader per response, on one thread.
//
// The head goes through the gateway's own strict parseResponseHead, the body is delimited as
// that head says (Content-Length, chunked through ChunkedDecoder, or the connection's close),
// interim 1xx heads are skipped. A body in a Content-Encoding the reader cannot undo is an
// error rather than bytes the caller would misread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/chunked.h"
#include "http/parser.h"

namespace tidegate::http {

class ResponseReader {
 public:
  enum class State : uint8_t {
    kIncomplete,  // more bytes are needed
    kComplete,    // status() and body() are the response
    kError,       // error() says why; the response cannot be used
  };

  // A body larger than `max_body_bytes` is an error.
  explicit ResponseReader(size_t max_body_bytes, ParserLimits limits = {})
      : max_body_(max_body_bytes), limits_(limits) {}

  // `received`: every byte read so far (what the previous call saw, plus more); `closed`: the
  // peer has closed, no more bytes will come. Returns the state after looking at them; once
  // kComplete or kError, later calls return the same.
  State update(std::string_view received, bool closed);

  uint16_t status() const { return status_; }
  const std::string& body() const { return body_; }
  std::string_view error() const { return error_; }

 private:
  State fail(std::string_view why) {
    error_ = why;
    return state_ = State::kError;
  }
  State readHead(std::string_view received, bool closed);
  State readBody(std::string_view received, bool closed);

  size_t max_body_;
  ParserLimits limits_;
  State state_ = State::kIncomplete;
  bool have_head_ = false;
  size_t head_start_ = 0;  // where the (next) head begins: after skipped 1xx heads
  size_t body_start_ = 0;  // after the final head
  size_t decoded_ = 0;     // chunked: input consumed by the decoder, from body_start_
  uint16_t status_ = 0;
  BodyFraming framing_ = BodyFraming::kNone;
  uint64_t content_length_ = 0;
  ChunkedDecoder chunked_;
  std::string body_;
  std::string_view error_;
};

}  // namespace tidegate::http
