// Fuzzes parseResponseHead (the upstream side of the proxy) and the ChunkedDecoder on the bytes
// after the head. The first input byte picks the request method, since HEAD changes framing.
// Contract checked as in http_request_fuzz.cc: bounds, zero-copy views, prefix consistency,
// determinism, and the framing rules that keep a response from being read two ways.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "http/parser.h"

namespace {

using tidegate::fuzz::inside;
using namespace tidegate::http;

bool sameHead(const ResponseHead& a, const ResponseHead& b) {
  if (a.version_minor != b.version_minor || a.status != b.status || a.reason != b.reason ||
      a.framing != b.framing || a.content_length != b.content_length ||
      a.keep_alive != b.keep_alive || a.has_connection_tokens != b.has_connection_tokens ||
      a.headers.size() != b.headers.size())
    return false;
  for (size_t i = 0; i < a.headers.size(); ++i)
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value)
      return false;
  return true;
}

bool sameResult(const ParseResult& a, const ParseResult& b) {
  return a.status == b.status && a.consumed == b.consumed && a.error_status == b.error_status;
}

void checkResult(const ParseResult& r, std::string_view buf, Method method,
                 const ResponseHead& head) {
  FUZZ_CHECK(r.consumed <= buf.size());
  if (r.status == ParseStatus::kIncomplete) {
    FUZZ_CHECK(r.consumed == 0);
    return;
  }
  if (r.status == ParseStatus::kError) {
    FUZZ_CHECK(r.consumed == 0 && r.error_status == 502 && !r.error.empty());
    return;
  }
  FUZZ_CHECK(r.consumed >= 4 && buf.substr(r.consumed - 4, 4) == "\r\n\r\n");
  FUZZ_CHECK(head.status >= 100 && head.status <= 599);
  FUZZ_CHECK(inside(head.reason, buf));
  const bool bodiless =
      method == Method::kHead || head.status < 200 || head.status == 204 || head.status == 304;
  FUZZ_CHECK(!bodiless || head.framing == BodyFraming::kNone);
  FUZZ_CHECK(bodiless || head.framing != BodyFraming::kNone);
  FUZZ_CHECK(head.framing != BodyFraming::kUntilClose || !head.keep_alive);
  for (const Header& h : head.headers)
    FUZZ_CHECK(!h.name.empty() && inside(h.name, buf) && inside(h.value, buf));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Method method = (data[0] & 1) ? Method::kHead : Method::kGet;
  const std::string_view buf(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const ParserLimits kDefault;
  static const ParserLimits kSmall{/*max_head_bytes=*/96, /*max_request_line=*/48,
                                   /*max_headers=*/4};
  static ResponseHead head;
  static ResponseHead other;

  for (const ParserLimits* limits : {&kDefault, &kSmall}) {
    const ParseResult r = parseResponseHead(buf, *limits, method, head);
    checkResult(r, buf, method, head);
    const ParseResult again = parseResponseHead(buf, *limits, method, other);
    FUZZ_CHECK(sameResult(r, again));
    if (r.status == ParseStatus::kComplete) {
      FUZZ_CHECK(sameHead(head, other));
      const ParseResult alone =
          parseResponseHead(buf.substr(0, r.consumed), *limits, method, other);
      FUZZ_CHECK(sameResult(r, alone) && sameHead(head, other));
    }
    for (size_t cut : {buf.size() / 2, buf.size() > 0 ? buf.size() - 1 : 0}) {
      const ParseResult p = parseResponseHead(buf.substr(0, cut), *limits, method, other);
      checkResult(p, buf.substr(0, cut), method, other);
      if (p.status == ParseStatus::kComplete) {
        FUZZ_CHECK(sameResult(p, r) && sameHead(head, other));
      } else if (p.status == ParseStatus::kError) {
        FUZZ_CHECK(r.status == ParseStatus::kError);
      }
    }
  }

  const ParseResult r = parseResponseHead(buf, kDefault, method, head);
  if (r.status == ParseStatus::kComplete && head.framing == BodyFraming::kChunked)
    tidegate::fuzz::checkChunked(buf.substr(r.consumed));
  return 0;
}
