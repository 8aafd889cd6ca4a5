// One case per request the parser must refuse, with the exact status (docs/http-parsing.md).
// Each case is also fed byte by byte: the same error must come out however the bytes arrive.

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "http/parser.h"
#include "test_util.h"

namespace tidegate::http {
namespace {

struct Rejection {
  const char* name;
  std::string request;
  uint16_t status;
};

std::string withHost(std::string_view fields) {
  return "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}
std::string post(std::string_view fields) {
  return "POST / HTTP/1.1\r\nHost: h\r\n" + std::string(fields) + "\r\n";
}
std::string hostIs(std::string_view host) {
  return "GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
}
std::string line(std::string_view request_line) {
  return std::string(request_line) + "\r\nHost: h\r\n\r\n";
}

const Rejection kRejections[] = {
    // --- request-line (R12, R14, R19) ---
    {"MethodWithInvalidChar", line("GE(T / HTTP/1.1"), 400},
    {"MethodWithSlash", line("GET/ / HTTP/1.1"), 400},
    {"EmptyMethod", line(" / HTTP/1.1"), 400},
    {"MethodTooLong", line(std::string(33, 'A') + " / HTTP/1.1"), 501},
    {"TwoSpacesAfterMethod", line("GET  / HTTP/1.1"), 400},
    {"TwoSpacesBeforeVersion", line("GET /  HTTP/1.1"), 400},
    {"TabAsSeparator", line("GET\t/ HTTP/1.1"), 400},
    {"TrailingSpaceAfterVersion", line("GET / HTTP/1.1 "), 400},
    {"SpaceInTarget", line("GET /a b HTTP/1.1"), 400},
    {"FragmentInTarget", line("GET /a#frag HTTP/1.1"), 400},
    {"DelInTarget", line("GET /a\x7f HTTP/1.1"), 400},
    {"ObsTextInTarget", line("GET /caf\xc3\xa9 HTTP/1.1"), 400},
    {"NulInTarget", line(std::string("GET /a\0b HTTP/1.1", 17)), 400},
    {"TargetWithoutSlash", line("GET index.html HTTP/1.1"), 400},
    {"AsteriskWithGet", line("GET * HTTP/1.1"), 400},
    {"AuthorityFormWithGet", line("GET example.com:80 HTTP/1.1"), 400},
    {"ConnectWithOriginForm", line("CONNECT / HTTP/1.1"), 400},
    {"ConnectWithoutPort", line("CONNECT example.com HTTP/1.1"), 400},
    {"ConnectWithUserinfo", line("CONNECT user@example.com:443 HTTP/1.1"), 400},
    {"AbsoluteFormWithUserinfo", line("GET http://user:pw@example.com/ HTTP/1.1"), 400},
    {"AbsoluteFormOtherScheme", line("GET ftp://example.com/ HTTP/1.1"), 400},
    {"AbsoluteFormEmptyAuthority", line("GET http:///x HTTP/1.1"), 400},
    {"AbsoluteFormBadPort", line("GET http://example.com:99999/ HTTP/1.1"), 400},
    {"AbsoluteFormBadHostChar", line("GET http://exa\"mple.com/ HTTP/1.1"), 400},
    {"MissingVersion", line("GET /"), 400},
    {"LowercaseVersion", line("GET / http/1.1"), 400},
    {"VersionWithoutMinor", line("GET / HTTP/1"), 400},
    {"VersionTwoDigitMinor", line("GET / HTTP/1.10"), 400},
    {"VersionLetterMinor", line("GET / HTTP/1.x"), 400},
    {"VersionWithSpace", line("GET / HTTP/ 1.1"), 400},
    {"Http09StyleLine", "GET /\r\n\r\n", 400},
    {"Http2Version", line("GET / HTTP/2.0"), 505},
    {"Http3Version", line("GET / HTTP/3.0"), 505},
    {"Http09Version", line("GET / HTTP/0.9"), 505},
    {"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
    {"RequestLineEndsInBareLf", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
    {"RequestLineBareCr", "GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
    {"LeadingBareLf", "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"LeadingBareCr", "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"TooManyLeadingEmptyLines", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"LeadingSpaceBeforeMethod", line(" GET / HTTP/1.1"), 400},
    // --- field lines (R7, R8, R9, R10) ---
    {"SpaceBeforeColon", withHost("X-A : v\r\n"), 400},
    {"TabBeforeColon", withHost("X-A\t: v\r\n"), 400},
    {"EmptyFieldName", withHost(": v\r\n"), 400},
    {"InvalidFieldNameChar", withHost("X(A): v\r\n"), 400},
    {"FieldWithoutColon", withHost("X-A v\r\n"), 400},
    {"ObsFold", withHost("X-A: v\r\n  continued\r\n"), 400},
    {"ObsFoldWithTab", withHost("X-A: v\r\n\tcontinued\r\n"), 400},
    {"WhitespaceLineAfterRequestLine", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
    {"NulInValue", withHost(std::string("X-A: a\0b\r\n", 10)), 400},
    {"CtlInValue",
     withHost("X-A: a\x01"
              "b\r\n"),
     400},
    {"EscInValue",
     withHost("X-A: a\x1b"
              "b\r\n"),
     400},
    {"DelInValue",
     withHost("X-A: a\x7f"
              "b\r\n"),
     400},
    {"BareCrInValue", withHost("X-A: a\rb\r\n"), 400},
    {"BareLfInValue", withHost("X-A: a\nb\r\n"), 400},
    {"FieldLineEndsInBareLf", withHost("X-A: v\n"), 400},
    {"HeadEndsInBareLf", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400},
    {"HeadEndsInBareCr", "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400},
    // --- Content-Length (R5) ---
    {"ContentLengthLetters", post("Content-Length: abc\r\n"), 400},
    {"ContentLengthNegative", post("Content-Length: -1\r\n"), 400},
    {"ContentLengthPlusSign", post("Content-Length: +5\r\n"), 400},
    {"ContentLengthHex", post("Content-Length: 0x10\r\n"), 400},
    {"ContentLengthInnerSpace", post("Content-Length: 5 5\r\n"), 400},
    {"ContentLengthEmpty", post("Content-Length:\r\n"), 400},
    {"ContentLengthList", post("Content-Length: 5, 5\r\n"), 400},
    {"ContentLengthDecimal", post("Content-Length: 5.0\r\n"), 400},
    {"ContentLengthDuplicateSame", post("Content-Length: 5\r\nContent-Length: 5\r\n"), 400},
    {"ContentLengthDuplicateDiffering", post("Content-Length: 5\r\ncontent-length: 6\r\n"), 400},
    {"ContentLengthOverflow", post("Content-Length: 9223372036854775808\r\n"), 400},
    {"ContentLengthHugeOverflow", post("Content-Length: 99999999999999999999999\r\n"), 400},
    // --- Transfer-Encoding (R1, R2, R3, R4) ---
    {"TransferEncodingGzipOnly", post("Transfer-Encoding: gzip\r\n"), 400},
    {"TransferEncodingChunkedNotLast", post("Transfer-Encoding: chunked, gzip\r\n"), 400},
    {"TransferEncodingChunkedIdentity", post("Transfer-Encoding: chunked, identity\r\n"), 400},
    {"TransferEncodingIdentity", post("Transfer-Encoding: identity\r\n"), 400},
    {"TransferEncodingXchunked", post("Transfer-Encoding: xchunked\r\n"), 400},
    {"TransferEncodingChunkedTwice", post("Transfer-Encoding: chunked, chunked\r\n"), 400},
    {"TransferEncodingChunkedTwiceAcrossLines",
     post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
    {"TransferEncodingChunkedThenGzipLine",
     post("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400},
    {"TransferEncodingGzipChunked", post("Transfer-Encoding: gzip, chunked\r\n"), 501},
    {"TransferEncodingGzipLineThenChunked",
     post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 501},
    {"TransferEncodingOwsAroundComma", post("Transfer-Encoding: gzip \t,\t chunked\r\n"), 501},
    {"TransferEncodingTrailingComma", post("Transfer-Encoding: chunked,\r\n"), 400},
    {"TransferEncodingLeadingComma", post("Transfer-Encoding: , chunked\r\n"), 400},
    {"TransferEncodingEmpty", post("Transfer-Encoding:\r\n"), 400},
    {"TransferEncodingParameter", post("Transfer-Encoding: chunked;q=1\r\n"), 400},
    {"TransferEncodingQuoted", post("Transfer-Encoding: \"chunked\"\r\n"), 400},
    {"TransferEncodingAndContentLength",
     post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400},
    {"ContentLengthAndTransferEncoding",
     post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
    {"TransferEncodingOnHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"TransferEncodingAndContentLengthOnHttp10",
     "POST / HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    // --- Host (R13) ---
    {"MissingHost", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400},
    {"MissingHostWithAbsoluteForm", "GET http://h.test/ HTTP/1.1\r\n\r\n", 400},
    {"DuplicateHost", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
    {"DuplicateHostHttp10", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400},
    {"EmptyHost", hostIs(""), 400},
    {"HostOnlyPort", hostIs(":80"), 400},
    {"HostEmptyPort", hostIs("h:"), 400},
    {"HostPortTooLarge", hostIs("h:65536"), 400},
    {"HostPortSixDigits", hostIs("h:000080"), 400},
    {"HostPortLetters", hostIs("h:8o"), 400},
    {"HostWithSlash", hostIs("h/x"), 400},
    {"HostWithUserinfo", hostIs("user@h"), 400},
    {"HostWithSpace", hostIs("a b"), 400},
    {"HostTwoColons", hostIs("h:80:80"), 400},
    {"HostBadPercent", hostIs("a%zzb"), 400},
    {"HostUnclosedBracket", hostIs("[::1"), 400},
    {"HostBadIpv6", hostIs("[zz::1]"), 400},
    {"HostIpv6TooManyGroups", hostIs("[1:2:3:4:5:6:7:8:9]"), 400},
    {"HostIpv6TwoElisions", hostIs("[1::2::3]"), 400},
    {"HostIpv6Zone", hostIs("[fe80::1%25eth0]"), 400},
    {"HostJunkAfterBracket", hostIs("[::1]x"), 400},
    {"HostInvalidHttp10", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400},
    // --- Connection and Expect (R15, R17) ---
    {"ConnectionNotAToken", withHost("Connection: close;x\r\n"), 400},
    {"ExpectUnknown", withHost("Expect: 200-ok\r\n"), 417},
    {"ExpectContinueWithOther", withHost("Expect: 100-continue, foo\r\n"), 417},
    {"ExpectEmpty", withHost("Expect:\r\n"), 417},
};

// Prints the case name instead of the struct's bytes in failure messages.
void PrintTo(const Rejection& c, std::ostream* os) {
  *os << c.name;
}

class RequestRejectionTest : public ::testing::TestWithParam<Rejection> {};

TEST_P(RequestRejectionTest, Rejected) {
  const Rejection& c = GetParam();
  RequestHead head;
  ParseResult r = parseRequestHead(c.request, {}, head);
  ASSERT_EQ(r.status, ParseStatus::kError) << "accepted: " << c.request;
  EXPECT_EQ(r.error_status, c.status) << r.error;
  EXPECT_FALSE(r.error.empty());
}

TEST_P(RequestRejectionTest, SameErrorWhenFedByteByByte) {
  const Rejection& c = GetParam();
  RequestHead head;
  for (size_t i = 0; i <= c.request.size(); ++i) {
    ParseResult r = parseRequestHead(std::string_view(c.request).substr(0, i), {}, head);
    ASSERT_NE(r.status, ParseStatus::kComplete) << "prefix " << i << " completed";
    if (r.status == ParseStatus::kError) {
      EXPECT_EQ(r.error_status, c.status) << "prefix " << i << ": " << r.error;
      return;
    }
  }
  FAIL() << "never rejected";
}

INSTANTIATE_TEST_SUITE_P(Rules, RequestRejectionTest, ::testing::ValuesIn(kRejections),
                         [](const ::testing::TestParamInfo<Rejection>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tidegate::http
