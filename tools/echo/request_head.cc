#include "echo/request_head.h"

#include <cstring>

namespace tidegate::echo {
namespace {

// RFC 9110 tchar.
bool isTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool equalsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char c = a[i];
    if (c >= 'A' && c <= 'Z') c |= 0x20;
    if (c != (unsigned char)lower[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls `fn` with each trimmed, non-empty element of a comma-separated list.
template <typename Fn>
void forEachListItem(std::string_view value, Fn fn) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) fn(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// Finds the end of the head (the byte after the blank line), or 0 when not there yet.
size_t findHeadEnd(std::string_view data, size_t& scanned) {
  size_t pos = scanned;
  while (pos < data.size()) {
    const void* lf = std::memchr(data.data() + pos, '\n', data.size() - pos);
    if (lf == nullptr) {
      scanned = data.size();
      return 0;
    }
    pos = static_cast<const char*>(lf) - data.data();
    // A bare "\n\n" ends the head too, so a malformed request is answered (400) rather
    // than waited on.
    if (pos + 1 < data.size() && data[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < data.size() && data[pos + 1] == '\r' && data[pos + 2] == '\n') return pos + 3;
    if (pos + 2 >= data.size()) {
      scanned = pos;  // the blank line may still be arriving
      return 0;
    }
    ++pos;
  }
  scanned = data.size();
  return 0;
}

ParseResult fail(int& error_status, int status) {
  error_status = status;
  return ParseResult::kError;
}

bool parseContentLength(std::string_view value, uint64_t& out) {
  if (value.empty() || value.size() > 18) return false;  // 18 digits cannot overflow
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + uint64_t(c - '0');
  }
  out = n;
  return true;
}

}  // namespace

ParseResult parseRequestHead(std::string_view data, size_t& scanned, RequestHead& head,
                             int& error_status) {
  size_t end = findHeadEnd(data, scanned);
  if (end == 0) {
    if (data.size() > kMaxHeadBytes) return fail(error_status, 431);
    return ParseResult::kIncomplete;
  }
  if (end > kMaxHeadBytes) return fail(error_status, 431);
  head = RequestHead{};
  head.length = end;

  // Each line must end in CRLF; `rest` excludes the final CRLF of the blank line.
  std::string_view rest = data.substr(0, end);
  auto nextLine = [&rest](std::string_view& line) {
    size_t lf = rest.find('\n');
    if (lf == std::string_view::npos || lf == 0 || rest[lf - 1] != '\r') return false;
    line = rest.substr(0, lf - 1);
    rest.remove_prefix(lf + 1);
    return line.find('\r') == std::string_view::npos;
  };

  // Request line: method SP target SP HTTP/1.x
  std::string_view line;
  if (!nextLine(line)) return fail(error_status, 400);
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > 32) return fail(error_status, 400);
  head.method = line.substr(0, sp1);
  for (unsigned char c : head.method) {
    if (!isTokenChar(c)) return fail(error_status, 400);
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return fail(error_status, 400);
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (head.target.size() > kMaxTargetBytes) return fail(error_status, 414);
  for (unsigned char c : head.target) {
    if (c <= 0x20 || c >= 0x7f) return fail(error_status, 400);
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(error_status, 400);
  }
  if (version[5] != '1') return fail(error_status, 505);
  head.minor_version = version[7] == '0' ? 0 : 1;  // 1.2 and up are served as 1.1

  int fields = 0;
  int hosts = 0;
  bool has_transfer_encoding = false;
  while (true) {
    if (!nextLine(line)) return fail(error_status, 400);  // bare LF or bare CR
    if (line.empty()) break;                              // the blank line
    if (++fields > kMaxHeaderFields) return fail(error_status, 431);
    size_t colon = line.find(':');
    // Covers obs-fold (a line starting with whitespace) and space before the colon.
    if (colon == std::string_view::npos || colon == 0) return fail(error_status, 400);
    std::string_view name = line.substr(0, colon);
    for (unsigned char c : name) {
      if (!isTokenChar(c)) return fail(error_status, 400);
    }
    std::string_view value = trim(line.substr(colon + 1));
    for (unsigned char c : value) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(error_status, 400);
    }
    if (equalsIgnoreCase(name, "content-length")) {
      if (head.has_content_length || !parseContentLength(value, head.content_length)) {
        return fail(error_status, 400);
      }
      head.has_content_length = true;
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      has_transfer_encoding = true;
      int status = 0;
      forEachListItem(value, [&](std::string_view coding) {
        if (status != 0) return;
        if (!equalsIgnoreCase(coding, "chunked")) {
          status = head.chunked ? 400 : 501;  // only chunked is understood, and only last
        } else if (head.chunked) {
          status = 400;  // chunked twice
        } else {
          head.chunked = true;
        }
      });
      if (status != 0) return fail(error_status, status);
    } else if (equalsIgnoreCase(name, "connection")) {
      forEachListItem(value, [&](std::string_view option) {
        if (equalsIgnoreCase(option, "close")) head.connection_close = true;
        if (equalsIgnoreCase(option, "keep-alive")) head.connection_keep_alive = true;
      });
    } else if (equalsIgnoreCase(name, "host")) {
      ++hosts;
    } else if (equalsIgnoreCase(name, "expect")) {
      head.expect_continue = equalsIgnoreCase(value, "100-continue");
    }
  }
  if (has_transfer_encoding && !head.chunked) return fail(error_status, 400);
  if (has_transfer_encoding && (head.has_content_length || head.minor_version == 0)) {
    return fail(error_status, 400);
  }
  if (hosts > 1 || (hosts == 0 && head.minor_version >= 1)) return fail(error_status, 400);
  return ParseResult::kComplete;
}

}  // namespace tidegate::echo
