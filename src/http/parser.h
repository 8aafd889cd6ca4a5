#pragma once
// The strict HTTP/1.1 head parser (RFC 9112): the gateway's security boundary. Pure functions,
// no I/O, no heap. Call again with the grown buffer after kIncomplete; parsing restarts from
// the first byte, which is cheap for heads and keeps the parser stateless.
//
// Rules enforced are listed in docs/http-parsing.md; the short version: re-frame, never
// pass through. Anything two parsers could read differently is an error.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/message_head.h"

namespace tidegate::http {

struct ParserLimits {
  size_t max_head_bytes = 16 * 1024;   // request-line + fields + CRLF; beyond: 431
  size_t max_request_line = 8 * 1024;  // beyond: 414
  size_t max_headers = 100;            // field lines; beyond: 431
};

enum class ParseStatus : uint8_t { kComplete, kIncomplete, kError };

// kComplete: `consumed` is the head length including the final CRLF.
// kIncomplete: need more bytes (and none of the limits is exceeded yet).
// kError: `error_status` is the status to answer (400, 414, 431, 501, 505...) and `error`
//         a short static description; the connection must be closed after answering.
struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;
  uint16_t error_status = 0;
  std::string_view error;
};

ParseResult parseRequestHead(std::string_view buf, const ParserLimits& limits, RequestHead& out);

// `request_method` decides bodiless responses (HEAD). 1xx heads other than 101 are returned
// as complete heads too; the caller skips them. Errors here mean "bad gateway" (502).
ParseResult parseResponseHead(std::string_view buf, const ParserLimits& limits,
                              Method request_method, ResponseHead& out);

// True when `name` (any case) is a hop-by-hop field that a proxy must not forward:
// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
// Proxy-Authenticate, Proxy-Authorization.
bool isHopByHopField(std::string_view name);

// True when `name` is listed in any Connection field of `headers` (those are hop-by-hop too).
bool isNamedByConnection(const HeaderList& headers, std::string_view name);

}  // namespace tidegate::http
