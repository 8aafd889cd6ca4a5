// parseResponseHead: the status-line (RFC 9112 §4), the field section (§5) and the body
// framing of a response (§6.3). Every error is the upstream's fault, so every error is 502.

#include <algorithm>
#include <string_view>

#include "http/char_class.h"
#include "http/field_line.h"
#include "http/field_rules.h"
#include "http/head_common.h"
#include "http/parser.h"
#include "http/scan.h"

namespace tidegate::http {

namespace {

using detail::incompleteHead;

constexpr uint16_t kBadGateway = 502;

ParseResult fail(std::string_view why) {
  return detail::failHead(kBadGateway, why);
}

// See request_parser.cc: clear() would rewrite the whole header array.
void reset(ResponseHead& h) {
  h.version_minor = 1;
  h.status = 0;
  h.reason = {};
  h.headers.clear();
  h.framing = BodyFraming::kNone;
  h.content_length = 0;
  h.keep_alive = true;
  h.has_connection_tokens = false;
}

struct ResponseFields {
  bool has_content_length = false;
  uint64_t content_length = 0;
  TransferCodings codings;
  ConnectionOptions connection;

  std::string_view apply(std::string_view name, std::string_view value) {
    switch (classifyField(name)) {
      case KnownField::kContentLength: {
        uint64_t n = 0;
        if (!parseContentLength(value, n)) return "invalid Content-Length";
        // Identical repeats are collapsed (RFC 9110 §8.6); differing ones are fatal.
        if (has_content_length && n != content_length) return "conflicting Content-Length";
        has_content_length = true;
        content_length = n;
        return {};
      }
      case KnownField::kTransferEncoding: {
        std::string_view error;
        if (!codings.add(value, error)) return error;
        return {};
      }
      case KnownField::kConnection:
        if (!connection.add(value)) return "invalid Connection";
        return {};
      default:
        return {};
    }
  }
};

}  // namespace

ParseResult parseResponseHead(std::string_view buf, const ParserLimits& limits,
                              Method request_method, ResponseHead& out) {
  reset(out);
  const char* const start = buf.data();
  const char* const buf_end = start + buf.size();

  // --- status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF ---
  // Left to right as in the request parser; a missing reason (with or without its SP) is
  // accepted because real servers send both "HTTP/1.1 200\r\n" and "HTTP/1.1 200 \r\n".
  const size_t max_line = detail::maxStartLine(limits);
  const char* const line_scan_end = start + std::min(buf.size(), max_line + 1);
  auto ranOut = [&](const char* at) {
    return static_cast<size_t>(at - start) > max_line ? fail("status-line too long")
                                                      : incompleteHead();
  };

  const char* q = start;
  for (size_t i = 0; i < detail::kVersionLength; ++i, ++q) {
    if (q == line_scan_end) return ranOut(q);
    if (!detail::isVersionByte(i, *q)) return fail("invalid HTTP version in status-line");
  }
  if (start[5] != '1') return fail("unsupported HTTP version in status-line");
  for (size_t i = 0; i < 4; ++i, ++q) {
    if (q == line_scan_end) return ranOut(q);
    if (i == 0 ? *q != ' ' : !chars::isDigit(*q)) return fail("malformed status-line");
  }
  const unsigned code = static_cast<unsigned>(q[-3] - '0') * 100 +
                        static_cast<unsigned>(q[-2] - '0') * 10 +
                        static_cast<unsigned>(q[-1] - '0');
  // RFC 9110 §15: values outside 100..599 are invalid.
  if (code < 100 || code > 599) return fail("invalid status code");
  if (q == line_scan_end) return ranOut(q);
  const char* reason = q;
  if (*q == ' ') {
    reason = q + 1;
    q = scanFieldValue(reason, line_scan_end);
    if (q == line_scan_end) return ranOut(q);
  }
  if (*q != '\r') return fail(*q == '\n' ? "bare LF in status-line" : "malformed status-line");
  if (q + 1 == buf_end) return incompleteHead();
  if (q[1] != '\n') return fail("bare CR in status-line");

  out.version_minor = start[7] == '0' ? 0 : 1;
  out.status = static_cast<uint16_t>(code);
  out.reason = std::string_view(reason, static_cast<size_t>(q - reason));

  // --- field lines ---
  const char* const head_end = start + std::min(buf.size(), limits.max_head_bytes);
  const size_t max_fields = std::min(limits.max_headers, HeaderList::kCapacity);
  ResponseFields fields;
  FieldLine line;
  const char* p = q + 2;
  for (;;) {
    const FieldLineStatus status = parseFieldLine(p, head_end, line);
    if (status == FieldLineStatus::kEnd) {
      p = line.next;
      break;
    }
    if (status == FieldLineStatus::kIncomplete)
      return head_end == buf_end ? incompleteHead() : fail("response head too large");
    if (status == FieldLineStatus::kError) return fail(line.error);
    if (out.headers.size() == max_fields) return fail("too many header fields in response");
    out.headers.push(line.name, line.value);
    if (std::string_view error = fields.apply(line.name, line.value); !error.empty())
      return fail(error);
    p = line.next;
  }

  // --- framing (RFC 9112 §6.3), decided exactly once ---
  const bool http11 = out.version_minor == 1;
  const bool bodiless = request_method == Method::kHead || code < 200 || code == 204 || code == 304;
  if (bodiless) {
    out.framing = BodyFraming::kNone;
  } else if (fields.codings.present) {
    // TE overrides CL, but a message with both is how responses get split (§6.3 rule 3), and
    // an HTTP/1.0 message with TE has faulty framing (§6.1): refuse both rather than guess.
    if (!http11) return fail("Transfer-Encoding in an HTTP/1.0 response");
    if (fields.has_content_length) return fail("both Transfer-Encoding and Content-Length");
    if (fields.codings.chunked_count > 1) return fail("chunked applied more than once");
    out.framing = fields.codings.last_is_chunked ? BodyFraming::kChunked : BodyFraming::kUntilClose;
  } else if (fields.has_content_length) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = fields.content_length;
  } else {
    out.framing = BodyFraming::kUntilClose;
  }

  out.keep_alive = !fields.connection.close && (http11 || fields.connection.keep_alive) &&
                   out.framing != BodyFraming::kUntilClose;
  out.has_connection_tokens = fields.connection.other;
  return detail::completeHead(static_cast<size_t>(p - start));
}

}  // namespace tidegate::http
