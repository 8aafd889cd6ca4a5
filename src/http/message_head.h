#pragma once
// The parsed head of a request or a response: every view points into the caller's read
// buffer, so a head is valid only while that buffer's bytes stay where they are.

#include <cstdint>
#include <string_view>

#include "http/header.h"
#include "http/method.h"

namespace tidegate::http {

// How the body that follows a head is delimited (RFC 9112 §6.3), decided once by the parser.
enum class BodyFraming : uint8_t {
  kNone,           // no body; a request with "Content-Length: 0" is kNone too
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding, ends with the last chunk and trailers
  kUntilClose,     // responses only: the body ends when the connection closes
};

enum class TargetForm : uint8_t { kOrigin, kAbsolute, kAuthority, kAsterisk };

struct RequestHead {
  Method method = Method::kOther;
  std::string_view method_text;
  std::string_view target;  // the request-target exactly as sent
  TargetForm target_form = TargetForm::kOrigin;
  // "/..." (origin or absolute form; the static "/" when an absolute-form target has no path),
  // "*" for asterisk-form, empty for CONNECT's authority-form
  std::string_view path;
  std::string_view query;      // after '?', without it; empty when absent
  std::string_view authority;  // absolute/authority form: from the target; else the Host value
  uint8_t version_minor = 1;   // 0 or 1; HTTP/1.2+ is served as 1.1
  HeaderList headers;

  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;         // valid when framing == kContentLength
  bool keep_alive = true;              // after version and Connection rules
  bool expect_continue = false;        // HTTP/1.1 "Expect: 100-continue"
  bool has_connection_tokens = false;  // Connection names extra hop-by-hop fields

  void clear() { *this = RequestHead{}; }
};

struct ResponseHead {
  uint8_t version_minor = 1;
  uint16_t status = 0;
  std::string_view reason;
  HeaderList headers;

  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;  // the upstream connection may be reused after this response
  bool has_connection_tokens = false;

  void clear() { *this = ResponseHead{}; }
};

}  // namespace tidegate::http
