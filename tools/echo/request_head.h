#pragma once
// The request-head parser of tidegate-echo. Written apart from the gateway's parser on
// purpose: the echo is the oracle integration tests check the gateway against, so it must
// not share the gateway's bugs. Strict where it matters to a proxy (CRLF only, one framing,
// valid Content-Length, Host on HTTP/1.1), so a gateway that forwards sloppily gets a 400.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tidegate::echo {

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;
  size_t length = 0;  // bytes of the head, blank line included
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool chunked = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;

  bool keepAlive() const {
    return minor_version >= 1 ? !connection_close : connection_keep_alive && !connection_close;
  }
};

enum class ParseResult { kComplete, kIncomplete, kError };

inline constexpr size_t kMaxHeadBytes = 64 * 1024;
inline constexpr size_t kMaxTargetBytes = 16 * 1024;
inline constexpr int kMaxHeaderFields = 128;

// Parses the request head at the start of `data` (leading CRLFs must already be skipped).
// kComplete: `head` is filled, its views point into `data`. kIncomplete: more bytes are
// needed; `scanned` remembers how far the search for the blank line got, so the next call
// does not search again. kError: `error_status` is 400, 414, 431, 501 or 505.
ParseResult parseRequestHead(std::string_view data, size_t& scanned, RequestHead& head,
                             int& error_status);

}  // namespace tidegate::echo
