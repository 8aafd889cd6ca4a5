#pragma once
// Writing responses into a connection's output buffer: status line, the headers every
// response carries (Content-Length or chunked framing, X-Backend-Id, Connection), and the
// body. Appends to a reused std::string, so a warmed-up connection allocates nothing.

#include <cstddef>
#include <string>
#include <string_view>

namespace tidegate::echo {

// "OK", "Service Unavailable", ...; "Status" for codes without a standard phrase.
std::string_view reasonPhrase(int status);

// 1xx, 204 and 304 responses never have a body (RFC 9110 section 6.4.1).
inline bool statusHasBody(int status) {
  return status >= 200 && status != 204 && status != 304;
}

struct ResponseShape {
  int status = 200;
  bool chunked = false;     // Transfer-Encoding: chunked instead of Content-Length
  bool close = false;       // Connection: close
  bool keep_alive = false;  // Connection: keep-alive (an HTTP/1.0 client asked for it)
  bool head_only = false;   // a HEAD request: framing headers, no body bytes
};

// Appends the response head for a body of `body_length` bytes; returns where the head ends
// in `out`.
size_t appendHead(std::string& out, const ResponseShape& shape, std::string_view backend_id,
                  std::string_view content_type, size_t body_length);

// Appends `body` framed as `shape` says (one chunk plus the last chunk when chunked).
void appendBody(std::string& out, const ResponseShape& shape, std::string_view body);

// The same for a body given in two pieces (the echo's request head, then its body).
void appendBody(std::string& out, const ResponseShape& shape, std::string_view first,
                std::string_view second);

}  // namespace tidegate::echo
