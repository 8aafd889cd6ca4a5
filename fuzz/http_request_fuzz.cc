// Fuzzes parseRequestHead and, on the bytes after the head, the ChunkedDecoder. Beyond "no
// crash, no sanitizer report" it checks the parser's contract:
//  - consumed <= size; kIncomplete and kError consume nothing; errors carry a known status;
//  - every view of a complete head points into the buffer (path may be the static "/");
//  - the head does not depend on the bytes after it, and a prefix never decides differently:
//    a complete prefix means the same head, an error in a prefix means the same error;
//  - parsing is deterministic, even into a head left dirty by another parse;
//  - chunked decoding gives the same outcome whole and byte by byte.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "http/parser.h"

namespace {

using tidegate::fuzz::inside;
using namespace tidegate::http;

bool sameHead(const RequestHead& a, const RequestHead& b) {
  if (a.method != b.method || a.method_text != b.method_text || a.target != b.target ||
      a.target_form != b.target_form || a.path != b.path || a.query != b.query ||
      a.authority != b.authority || a.version_minor != b.version_minor || a.framing != b.framing ||
      a.content_length != b.content_length || a.keep_alive != b.keep_alive ||
      a.expect_continue != b.expect_continue ||
      a.has_connection_tokens != b.has_connection_tokens || a.headers.size() != b.headers.size())
    return false;
  for (size_t i = 0; i < a.headers.size(); ++i)
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value)
      return false;
  return true;
}

bool sameResult(const ParseResult& a, const ParseResult& b) {
  return a.status == b.status && a.consumed == b.consumed && a.error_status == b.error_status;
}

void checkResult(const ParseResult& r, std::string_view buf, const RequestHead& head) {
  FUZZ_CHECK(r.consumed <= buf.size());
  switch (r.status) {
    case ParseStatus::kIncomplete:
      FUZZ_CHECK(r.consumed == 0 && r.error_status == 0);
      return;
    case ParseStatus::kError:
      FUZZ_CHECK(r.consumed == 0 && !r.error.empty());
      FUZZ_CHECK(r.error_status == 400 || r.error_status == 414 || r.error_status == 417 ||
                 r.error_status == 431 || r.error_status == 501 || r.error_status == 505);
      return;
    case ParseStatus::kComplete:
      break;
  }
  FUZZ_CHECK(r.consumed >= 4 && buf.substr(r.consumed - 4, 4) == "\r\n\r\n");
  FUZZ_CHECK(!head.method_text.empty() && inside(head.method_text, buf));
  FUZZ_CHECK(!head.target.empty() && inside(head.target, buf));
  FUZZ_CHECK(inside(head.path, buf) || head.path == "/");
  FUZZ_CHECK(inside(head.query, buf));
  FUZZ_CHECK(inside(head.authority, buf));
  FUZZ_CHECK(head.version_minor <= 1);
  FUZZ_CHECK(head.framing != BodyFraming::kUntilClose);
  FUZZ_CHECK((head.framing == BodyFraming::kContentLength) == (head.content_length > 0));
  FUZZ_CHECK(!head.expect_continue || head.version_minor == 1);
  for (const Header& h : head.headers) {
    FUZZ_CHECK(!h.name.empty() && inside(h.name, buf) && inside(h.value, buf));
    FUZZ_CHECK(h.name.data() + h.name.size() < buf.data() + r.consumed);
    FUZZ_CHECK(h.value.empty() || (h.value.front() != ' ' && h.value.back() != ' '));
    for (char c : h.value)
      FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  // Small limits too, so the 414/431 paths run on inputs the fuzzer can reach.
  static const ParserLimits kDefault;
  static const ParserLimits kSmall{/*max_head_bytes=*/96, /*max_request_line=*/48,
                                   /*max_headers=*/4};
  static RequestHead head;
  static RequestHead other;

  for (const ParserLimits* limits : {&kDefault, &kSmall}) {
    const ParseResult r = parseRequestHead(buf, *limits, head);
    checkResult(r, buf, head);

    const ParseResult again = parseRequestHead(buf, *limits, other);
    FUZZ_CHECK(sameResult(r, again));
    if (r.status == ParseStatus::kComplete) {
      FUZZ_CHECK(sameHead(head, other));
      // The head alone parses to the same head: nothing after it was looked at.
      const ParseResult alone = parseRequestHead(buf.substr(0, r.consumed), *limits, other);
      FUZZ_CHECK(sameResult(r, alone) && sameHead(head, other));
    }

    // A few prefixes: none may complete or fail differently from the whole.
    for (size_t cut : {size / 2, size / 3, size > 0 ? size - 1 : 0}) {
      const ParseResult p = parseRequestHead(buf.substr(0, cut), *limits, other);
      checkResult(p, buf.substr(0, cut), other);
      if (p.status == ParseStatus::kComplete) {
        FUZZ_CHECK(sameResult(p, r) && sameHead(head, other));
      } else if (p.status == ParseStatus::kError) {
        FUZZ_CHECK(r.status == ParseStatus::kError && r.error_status == p.error_status);
      }
    }
  }

  const ParseResult r = parseRequestHead(buf, kDefault, head);
  if (r.status == ParseStatus::kComplete) {
    tidegate::fuzz::checkChunked(buf.substr(r.consumed));
  } else if (size > 0 && data[0] < 16) {
    // Give the decoder raw input too, so it is not limited to what follows a valid head.
    tidegate::fuzz::checkChunked(buf.substr(1));
  }
  return 0;
}
