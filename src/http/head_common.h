#pragma once
// Pieces shared by the request and the response head parsers: result constructors, the
// HTTP-version grammar and the start-line budget. Internal to src/http/.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/char_class.h"
#include "http/parser.h"

namespace tidegate::http::detail {

inline ParseResult incompleteHead() {
  return ParseResult{};
}

inline ParseResult failHead(uint16_t status, std::string_view why) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error_status = status;
  r.error = why;
  return r;
}

inline ParseResult completeHead(size_t consumed) {
  ParseResult r;
  r.status = ParseStatus::kComplete;
  r.consumed = consumed;
  return r;
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive; checks byte i.
inline bool isVersionByte(size_t i, char c) {
  constexpr std::string_view kShape = "HTTP/0.0";
  return (i == 5 || i == 7) ? chars::isDigit(c) : c == kShape[i];
}
inline constexpr size_t kVersionLength = 8;

// The longest start-line (without its CRLF) the parser accepts: the configured request-line
// limit, shrunk if needed so the line and its CRLF still fit in max_head_bytes.
inline size_t maxStartLine(const ParserLimits& limits) {
  const size_t head_room = limits.max_head_bytes < 2 ? 0 : limits.max_head_bytes - 2;
  return std::min(limits.max_request_line, head_room);
}

}  // namespace tidegate::http::detail
