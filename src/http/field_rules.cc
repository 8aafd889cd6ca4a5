#include "http/field_rules.h"

#include <cstdint>
#include <limits>

#include "http/char_class.h"

namespace tidegate::http {

namespace {

// dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros (RFC 3986 §3.2.2).
bool isIpv4(std::string_view s) {
  int octets = 0;
  size_t i = 0;
  for (;;) {
    size_t start = i;
    unsigned value = 0;
    while (i < s.size() && chars::isDigit(s[i]) && i - start < 3)
      value = value * 10 + static_cast<unsigned>(s[i++] - '0');
    const size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
    if (++octets == 4) return i == s.size();
    if (i == s.size() || s[i] != '.') return false;
    ++i;
  }
}

// IPv6address (RFC 3986 §3.2.2): eight h16 groups, or fewer around one "::", the last two
// optionally written as an IPv4 address. Zone identifiers are not accepted.
bool isIpv6(std::string_view s) {
  int groups = 0;
  bool elided = false;
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    elided = true;
    i = 2;
    if (i == s.size()) return true;
  }
  for (;;) {
    size_t j = i;
    while (j < s.size() && chars::isHexDigit(s[j]))
      ++j;
    if (j < s.size() && s[j] == '.') {
      if (!isIpv4(s.substr(i))) return false;
      groups += 2;
      break;
    }
    if (j == i || j - i > 4) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    if (++i == s.size()) return false;
    if (s[i] == ':') {
      if (elided) return false;
      elided = true;
      if (++i == s.size()) break;
    }
  }
  return elided ? groups <= 7 : groups == 8;
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
bool isIpvFuture(std::string_view s) {
  if (s.size() < 4 || (s[0] != 'v' && s[0] != 'V')) return false;
  size_t i = 1;
  while (i < s.size() && chars::isHexDigit(s[i]))
    ++i;
  if (i == 1 || i == s.size() || s[i] != '.') return false;
  if (++i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!chars::is(s[i], chars::kRegName) && s[i] != ':') return false;
  return true;
}

}  // namespace

bool parseContentLength(std::string_view value, uint64_t& out) {
  if (value.empty()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t n = 0;
  for (char c : value) {
    if (!chars::isDigit(c)) return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (kMax - digit) / 10) return false;
    n = n * 10 + digit;
  }
  out = n;
  return true;
}

bool isValidHostPort(std::string_view value, bool require_port) {
  size_t i = 0;
  if (!value.empty() && value[0] == '[') {
    const size_t close = value.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view literal = value.substr(1, close - 1);
    if (!isIpv6(literal) && !isIpvFuture(literal)) return false;
    i = close + 1;
  } else {
    for (;;) {
      while (i < value.size() && chars::is(value[i], chars::kRegName))
        ++i;
      if (i == value.size() || value[i] != '%') break;
      if (i + 2 >= value.size() || !chars::isHexDigit(value[i + 1]) ||
          !chars::isHexDigit(value[i + 2]))
        return false;
      i += 3;
    }
    if (i == 0) return false;
  }
  if (i == value.size()) return !require_port;
  if (value[i] != ':') return false;
  const std::string_view port = value.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned n = 0;
  for (char c : port) {
    if (!chars::isDigit(c)) return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n <= 65535;
}

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!chars::isTchar(c)) return false;
  return true;
}

bool TransferCodings::add(std::string_view value, std::string_view& error) {
  return forEachListElement(value, [&](std::string_view coding) {
    if (coding.empty()) {
      error = "empty element in Transfer-Encoding";
      return false;
    }
    if (!isToken(coding)) {
      error = "invalid transfer coding";
      return false;
    }
    present = true;
    if (tokenEqualsLower(coding, "chunked")) {
      if (chunked_count < UINT8_MAX) ++chunked_count;
      last_is_chunked = true;
    } else {
      has_other = true;
      last_is_chunked = false;
    }
    return true;
  });
}

bool ConnectionOptions::add(std::string_view value) {
  return forEachListElement(value, [&](std::string_view option) {
    if (option.empty()) return true;
    if (!isToken(option)) return false;
    if (tokenEqualsLower(option, "close")) {
      close = true;
    } else if (tokenEqualsLower(option, "keep-alive")) {
      keep_alive = true;
    } else {
      other = true;
    }
    return true;
  });
}

}  // namespace tidegate::http
