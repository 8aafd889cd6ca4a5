// parseRequestHead: the request-line (RFC 9112 §3), the field section (§5) and the framing,
// Host, persistence and expectation rules that depend on them. See docs/http-parsing.md.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/char_class.h"
#include "http/field_line.h"
#include "http/field_rules.h"
#include "http/head_common.h"
#include "http/parser.h"
#include "http/scan.h"

namespace tidegate::http {

namespace {

using detail::failHead;
using detail::incompleteHead;

// A method longer than any we know is "not implemented" (RFC 9112 §3: SHOULD 501).
constexpr size_t kMaxMethodLength = 32;
// RFC 9112 §2.2 asks to ignore "at least one" empty line before a request; a few more cover
// clients that end a body with an extra CRLF, and the cap keeps a CRLF flood from idling here.
constexpr int kMaxLeadingEmptyLines = 4;
// The path of an absolute-form target without one ("http://a.example"), RFC 9112 §3.2.2.
constexpr std::string_view kRootPath = "/";

// Resets every field without rewriting the 4 KiB header array: RequestHead::clear() would,
// and on a ~500-byte head that copy alone costs as much as the parse.
void reset(RequestHead& h) {
  h.method = Method::kOther;
  h.method_text = {};
  h.target = {};
  h.target_form = TargetForm::kOrigin;
  h.path = {};
  h.query = {};
  h.authority = {};
  h.version_minor = 1;
  h.headers.clear();
  h.framing = BodyFraming::kNone;
  h.content_length = 0;
  h.keep_alive = true;
  h.expect_continue = false;
  h.has_connection_tokens = false;
}

bool startsWithLower(std::string_view s, std::string_view lower) {
  return s.size() >= lower.size() && equalsLower(s.substr(0, lower.size()), lower);
}

void splitPathQuery(std::string_view s, RequestHead& out) {
  const size_t q = s.find('?');
  out.path = s.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view() : s.substr(q + 1);
}

// Sets target_form, path, query and (for absolute and authority form) authority from the
// target (RFC 9112 §3.2); returns why the target is unacceptable, or an empty view.
std::string_view classifyTarget(RequestHead& out) {
  const std::string_view t = out.target;
  if (out.method == Method::kConnect) {
    if (t.find('@') != std::string_view::npos || !isValidHostPort(t, /*require_port=*/true))
      return "CONNECT needs an authority-form target host:port";
    out.target_form = TargetForm::kAuthority;
    out.authority = t;
    return {};
  }
  if (t[0] == '/') {
    out.target_form = TargetForm::kOrigin;
    splitPathQuery(t, out);
    return {};
  }
  if (t == "*") {
    if (out.method != Method::kOptions) return "asterisk-form target is only allowed with OPTIONS";
    out.target_form = TargetForm::kAsterisk;
    out.path = t;
    return {};
  }
  const size_t scheme = startsWithLower(t, "http://") ? 7 : startsWithLower(t, "https://") ? 8 : 0;
  if (scheme == 0) return "invalid request-target";
  const std::string_view rest = t.substr(scheme);
  const size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  // userinfo is deprecated and a classic way to disguise the real host (RFC 9110 §4.2.4).
  if (authority.find('@') != std::string_view::npos) return "userinfo in request-target";
  if (!isValidHostPort(authority, /*require_port=*/false))
    return "invalid authority in request-target";
  out.target_form = TargetForm::kAbsolute;
  out.authority = authority;
  if (authority_end == std::string_view::npos) {
    out.path = kRootPath;
  } else if (rest[authority_end] == '?') {
    out.path = kRootPath;
    out.query = rest.substr(authority_end + 1);
  } else {
    splitPathQuery(rest.substr(authority_end), out);
  }
  return {};
}

// What the field section said about framing, Host, persistence and expectations.
struct RequestFields {
  std::string_view host;
  bool has_host = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  TransferCodings codings;
  ConnectionOptions connection;
  bool expect_continue = false;
  bool expect_other = false;

  // Returns why the field is unacceptable, or an empty view.
  std::string_view apply(std::string_view name, std::string_view value) {
    switch (classifyField(name)) {
      case KnownField::kHost:
        if (has_host) return "duplicate Host";
        if (!isValidHostPort(value, /*require_port=*/false)) return "invalid Host";
        has_host = true;
        host = value;
        return {};
      case KnownField::kContentLength:
        // Even identical repeats are refused: a request has no reason to send two.
        if (has_content_length) return "duplicate Content-Length";
        if (!parseContentLength(value, content_length)) return "invalid Content-Length";
        has_content_length = true;
        return {};
      case KnownField::kTransferEncoding: {
        std::string_view error;
        if (!codings.add(value, error)) return error;
        return {};
      }
      case KnownField::kConnection:
        if (!connection.add(value)) return "invalid Connection";
        return {};
      case KnownField::kExpect:
        if (tokenEqualsLower(value, "100-continue")) {
          expect_continue = true;
        } else {
          expect_other = true;
        }
        return {};
      case KnownField::kOther:
        return {};
    }
    return {};
  }
};

}  // namespace

ParseResult parseRequestHead(std::string_view buf, const ParserLimits& limits, RequestHead& out) {
  reset(out);
  const char* const buf_end = buf.data() + buf.size();
  const char* p = buf.data();

  for (int empty_lines = 0;; ++empty_lines) {
    if (p == buf_end) return incompleteHead();
    if (*p == '\n') return failHead(400, "bare LF before request-line");
    if (*p != '\r') break;
    if (p + 1 == buf_end) return incompleteHead();
    if (p[1] != '\n') return failHead(400, "bare CR before request-line");
    if (empty_lines == kMaxLeadingEmptyLines)
      return failHead(400, "too many empty lines before request-line");
    p += 2;
  }

  // --- request-line = method SP request-target SP HTTP-version CRLF ---
  // Scanned left to right in one pass, so the first bad byte decides the outcome no matter how
  // much of the line has arrived. The scan may read one byte past the longest allowed line; that
  // byte must be the line's CR, anything else there means 414.
  const char* const start = p;
  const size_t avail = static_cast<size_t>(buf_end - start);
  const size_t max_line = detail::maxStartLine(limits);
  const char* const line_scan_end = start + std::min(avail, max_line + 1);
  auto ranOut = [&](const char* at) {
    return static_cast<size_t>(at - start) > max_line ? failHead(414, "request-line too long")
                                                      : incompleteHead();
  };
  auto malformed = [](char c) {
    return failHead(400, c == '\n' ? "bare LF in request-line" : "malformed request-line");
  };

  const char* q = scanToken(start, line_scan_end);
  if (static_cast<size_t>(q - start) > kMaxMethodLength) return failHead(501, "method too long");
  if (q == line_scan_end) return ranOut(q);
  if (q == start) return failHead(400, "invalid method");
  if (*q != ' ') return *q == '\r' || *q == '\n' ? malformed(*q) : failHead(400, "invalid method");
  const char* const method_end = q;

  const char* const target = q + 1;
  q = scanTarget(target, line_scan_end);
  if (q == line_scan_end) return ranOut(q);
  if (q == target) return failHead(400, "missing request-target");
  if (*q != ' ') {
    if (*q == '#') return failHead(400, "fragment in request-target");
    if (*q == '\r' || *q == '\n') return malformed(*q);
    return failHead(400, "invalid character in request-target");
  }
  const char* const target_end = q;

  const char* const version = q + 1;
  // Fast path for the versions every client sends; the loop below finds the first bad byte.
  bool common_version = false;
  if (line_scan_end - version >= 8) {
    // Whole-word compares; the compiler folds the copies of the literals into constants.
    uint64_t word = 0;
    uint64_t http11 = 0;
    uint64_t http10 = 0;
    std::memcpy(&word, version, 8);
    std::memcpy(&http11, "HTTP/1.1", 8);
    std::memcpy(&http10, "HTTP/1.0", 8);
    common_version = word == http11 || word == http10;
  }
  for (size_t i = 0; i < detail::kVersionLength && !common_version; ++i) {
    if (version + i == line_scan_end) return ranOut(version + i);
    if (!detail::isVersionByte(i, version[i])) return failHead(400, "invalid HTTP version");
  }
  const char* const cr = version + detail::kVersionLength;
  if (cr == line_scan_end) return ranOut(cr);
  if (*cr != '\r') return malformed(*cr);
  if (cr + 1 == buf_end) return incompleteHead();
  if (cr[1] != '\n') return failHead(400, "bare CR in request-line");

  out.method_text = std::string_view(start, static_cast<size_t>(method_end - start));
  out.method = methodFromToken(out.method_text);
  out.target = std::string_view(target, static_cast<size_t>(target_end - target));
  const char major = version[5];
  const char minor = version[7];
  if (major != '1') {
    // RFC 9113 §3.4: the preface is built to fail here; say so rather than "505".
    if (out.method_text == "PRI" && out.target == "*" && major == '2' && minor == '0')
      return failHead(400, "HTTP/2 connection preface on an HTTP/1 connection");
    return failHead(505, "HTTP version not supported");
  }
  out.version_minor = minor == '0' ? 0 : 1;  // 1.2..1.9 are served as 1.1 (RFC 9110 §2.5)
  if (std::string_view error = classifyTarget(out); !error.empty()) return failHead(400, error);

  // --- field lines, up to the empty line ---
  const char* const head_end = start + std::min(avail, limits.max_head_bytes);
  const size_t max_fields = std::min(limits.max_headers, HeaderList::kCapacity);
  RequestFields fields;
  FieldLine line;
  p = cr + 2;
  for (;;) {
    const FieldLineStatus status = parseFieldLine(p, head_end, line);
    if (status == FieldLineStatus::kEnd) {
      p = line.next;
      break;
    }
    if (status == FieldLineStatus::kIncomplete)
      return head_end == buf_end ? incompleteHead() : failHead(431, "request head too large");
    if (status == FieldLineStatus::kError) return failHead(400, line.error);
    if (out.headers.size() == max_fields) return failHead(431, "too many header fields");
    out.headers.push(line.name, line.value);
    if (std::string_view error = fields.apply(line.name, line.value); !error.empty())
      return failHead(400, error);
    p = line.next;
  }

  // --- rules that need the whole head ---
  const bool http11 = out.version_minor == 1;
  if (http11 && !fields.has_host) return failHead(400, "missing Host");
  if (fields.codings.present) {
    if (!http11) return failHead(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (fields.has_content_length)
      return failHead(400, "both Transfer-Encoding and Content-Length");
    if (!fields.codings.last_is_chunked)
      return failHead(400, "chunked is not the final transfer coding");
    if (fields.codings.chunked_count > 1) return failHead(400, "chunked applied more than once");
    if (fields.codings.has_other) return failHead(501, "unsupported transfer coding");
    out.framing = BodyFraming::kChunked;
  } else if (fields.has_content_length && fields.content_length > 0) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = fields.content_length;
  }
  if (http11 && fields.expect_other) return failHead(417, "unsupported expectation");
  out.expect_continue = http11 && fields.expect_continue;

  if (out.target_form != TargetForm::kAbsolute && out.target_form != TargetForm::kAuthority)
    out.authority = fields.host;
  out.keep_alive = !fields.connection.close && (http11 || fields.connection.keep_alive);
  out.has_connection_tokens = fields.connection.other;
  return detail::completeHead(static_cast<size_t>(p - buf.data()));
}

}  // namespace tidegate::http
