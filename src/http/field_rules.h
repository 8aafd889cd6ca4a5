#pragma once
// Value rules of the fields that decide framing, routing and persistence: Content-Length,
// Transfer-Encoding, Host, Connection. Request and response parsers share them so both sides
// of the proxy read a message the same way. Internal to src/http/.

#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/header.h"

namespace tidegate::http {

enum class KnownField : uint8_t {
  kOther,
  kHost,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kExpect,
};

// Case-insensitive equality of a parsed name or value `s` with `lower`, which may hold only
// lower-case letters, digits and '-'. OR-ing 0x20 folds A-Z onto a-z and leaves digits and '-'
// alone; the only other bytes it maps onto those (0x0D, 0x10-0x19) are CTLs the parser never
// lets into a name or value. Eight bytes per step: this runs for every field of every head.
inline bool tokenEqualsLower(std::string_view s, std::string_view lower) {
  const size_t n = s.size();
  if (n != lower.size()) return false;
  if (n >= 8) {
    constexpr uint64_t kFold = 0x2020202020202020ull;
    uint64_t a = 0;
    uint64_t b = 0;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&a, s.data() + i, 8);
      std::memcpy(&b, lower.data() + i, 8);
      if ((a | kFold) != b) return false;
    }
    std::memcpy(&a, s.data() + n - 8, 8);
    std::memcpy(&b, lower.data() + n - 8, 8);
    return (a | kFold) == b;
  }
  for (size_t i = 0; i < n; ++i)
    if ((s[i] | 0x20) != lower[i]) return false;
  return true;
}

// Case-insensitive; dispatches on the length first so most names cost one switch.
inline KnownField classifyField(std::string_view name) {
  switch (name.size()) {
    case 4:
      return tokenEqualsLower(name, "host") ? KnownField::kHost : KnownField::kOther;
    case 6:
      return tokenEqualsLower(name, "expect") ? KnownField::kExpect : KnownField::kOther;
    case 10:
      return tokenEqualsLower(name, "connection") ? KnownField::kConnection : KnownField::kOther;
    case 14:
      return tokenEqualsLower(name, "content-length") ? KnownField::kContentLength
                                                      : KnownField::kOther;
    case 17:
      return tokenEqualsLower(name, "transfer-encoding") ? KnownField::kTransferEncoding
                                                         : KnownField::kOther;
    default:
      return KnownField::kOther;
  }
}

// Content-Length = 1*DIGIT up to 2^63-1 (RFC 9110 §8.6). Anything else, including a sign,
// inner whitespace, a list ("5, 5") or an overflow, is false.
bool parseContentLength(std::string_view value, uint64_t& out);

// uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name (unreserved, pct-encoded,
// sub-delims), or an IP-literal in brackets; port is 1*5 DIGIT <= 65535. The host is never
// empty. With `require_port` (CONNECT's authority-form) the port must be present.
bool isValidHostPort(std::string_view value, bool require_port);

bool isToken(std::string_view s);

// Calls fn(element) for each comma-separated element of a list value (RFC 9110 §5.6.1) with
// OWS trimmed; empty elements are passed too. Stops and returns false as soon as fn does.
template <typename Fn>
bool forEachListElement(std::string_view value, Fn&& fn) {
  size_t pos = 0;
  for (;;) {
    size_t comma = value.find(',', pos);
    std::string_view element =
        value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!element.empty() && (element.front() == ' ' || element.front() == '\t'))
      element.remove_prefix(1);
    while (!element.empty() && (element.back() == ' ' || element.back() == '\t'))
      element.remove_suffix(1);
    if (!fn(element)) return false;
    if (comma == std::string_view::npos) return true;
    pos = comma + 1;
  }
}

// The transfer codings named by all Transfer-Encoding lines of a message, in order.
struct TransferCodings {
  bool present = false;
  bool last_is_chunked = false;
  uint8_t chunked_count = 0;  // saturates; only "more than one" matters
  bool has_other = false;     // a coding other than chunked (gzip, identity, ...)

  // Adds one Transfer-Encoding line. False (and `error` set) on an empty element or a coding
  // that is not a plain token; parameters are not accepted (none is defined for chunked).
  bool add(std::string_view value, std::string_view& error);
};

// The options of all Connection lines of a message (RFC 9110 §7.6.1).
struct ConnectionOptions {
  bool close = false;
  bool keep_alive = false;
  bool other = false;  // names another field as hop-by-hop

  // Adds one Connection line; empty elements are skipped. False on a non-token element.
  bool add(std::string_view value);
};

}  // namespace tidegate::http
