#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/parser.h"
#include "test_util.h"

namespace tidegate::http {
namespace {

using testing::expectSameHead;
using testing::inside;

class RequestParserTest : public ::testing::Test {
 protected:
  ParseResult parse(std::string_view buf, const ParserLimits& limits = {}) {
    return parseRequestHead(buf, limits, head_);
  }
  // Parses a request that must be accepted whole, and checks the result is zero-copy.
  void parseOk(std::string_view buf) {
    ParseResult r = parse(buf);
    ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error_status << " " << r.error;
    EXPECT_EQ(r.consumed, buf.size());
    EXPECT_TRUE(inside(head_.method_text, buf));
    EXPECT_TRUE(inside(head_.target, buf));
    EXPECT_TRUE(inside(head_.query, buf));
    EXPECT_TRUE(inside(head_.authority, buf));
    for (const Header& h : head_.headers) {
      EXPECT_TRUE(inside(h.name, buf));
      EXPECT_TRUE(inside(h.value, buf));
    }
  }

  RequestHead head_;
};

TEST_F(RequestParserTest, SimpleGet) {
  parseOk("GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kGet);
  EXPECT_EQ(head_.method_text, "GET");
  EXPECT_EQ(head_.target, "/index.html");
  EXPECT_EQ(head_.target_form, TargetForm::kOrigin);
  EXPECT_EQ(head_.path, "/index.html");
  EXPECT_EQ(head_.query, "");
  EXPECT_EQ(head_.authority, "example.com");
  EXPECT_EQ(head_.version_minor, 1);
  ASSERT_EQ(head_.headers.size(), 2u);
  EXPECT_EQ(head_.headers[0].name, "Host");
  EXPECT_EQ(head_.headers[1].name, "Accept");
  EXPECT_EQ(head_.headers[1].value, "*/*");
  EXPECT_EQ(head_.framing, BodyFraming::kNone);
  EXPECT_EQ(head_.content_length, 0u);
  EXPECT_TRUE(head_.keep_alive);
  EXPECT_FALSE(head_.expect_continue);
  EXPECT_FALSE(head_.has_connection_tokens);
}

TEST_F(RequestParserTest, PathAndQuery) {
  // The query may itself hold '?' and '/'.
  parseOk("GET /search?q=a?b&x=/%20 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.path, "/search");
  EXPECT_EQ(head_.query, "q=a?b&x=/%20");
}

TEST_F(RequestParserTest, EmptyQueryAfterQuestionMark) {
  parseOk("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.path, "/a");
  EXPECT_EQ(head_.query, "");
}

TEST_F(RequestParserTest, RegisteredAndExtensionMethods) {
  parseOk("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kDelete);
  parseOk("PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kOther);
  EXPECT_EQ(head_.method_text, "PURGE");
  // Methods are case-sensitive (RFC 9110 §9.1): "get" is an extension method.
  parseOk("get /x HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kOther);
}

TEST_F(RequestParserTest, ContentLengthFraming) {
  parseOk("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1234\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head_.content_length, 1234u);
}

TEST_F(RequestParserTest, ContentLengthZeroMeansNoBody) {
  parseOk("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kNone);
  EXPECT_EQ(head_.content_length, 0u);
}

TEST_F(RequestParserTest, ContentLengthLeadingZerosAndMaximum) {
  parseOk("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0007\r\n\r\n");
  EXPECT_EQ(head_.content_length, 7u);
  parseOk("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n");
  EXPECT_EQ(head_.content_length, 9223372036854775807u);
}

TEST_F(RequestParserTest, ChunkedFraming) {
  parseOk("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kChunked);
  parseOk("POST /x HTTP/1.1\r\nHost: h\r\ntransfer-encoding: CHUNKED\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kChunked);
}

TEST_F(RequestParserTest, FieldValueWhitespaceIsTrimmed) {
  parseOk("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced \t value \t \r\nX-B:\r\nX-C:   \r\n\r\n");
  EXPECT_EQ(head_.headers[0].value, "h");
  EXPECT_EQ(head_.headers[1].value, "spaced \t value");
  EXPECT_EQ(head_.headers[2].value, "");
  EXPECT_EQ(head_.headers[3].value, "");
}

TEST_F(RequestParserTest, ObsTextInValuesIsAccepted) {
  parseOk("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9 \x80\xff\r\n\r\n");
  EXPECT_EQ(head_.headers[1].value, "caf\xc3\xa9 \x80\xff");
}

TEST_F(RequestParserTest, LongValuesCrossTheVectorLoop) {
  // Values longer than 16 bytes, with HTAB and a bad byte at every offset of a 16-byte block.
  std::string value(40, 'v');
  value[17] = '\t';
  const std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX: " + value + "\r\n\r\n";
  parseOk(req);  // the head's views point into `req`, which must outlive them
  EXPECT_EQ(head_.headers[1].value, value);
  for (size_t i = 0; i < 40; ++i) {
    std::string bad = value;
    bad[i] = '\x01';
    std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX: " + bad + "\r\n\r\n";
    ParseResult r = parse(req);
    ASSERT_EQ(r.status, ParseStatus::kError) << i;
    EXPECT_EQ(r.error_status, 400);
  }
}

TEST_F(RequestParserTest, LongTargetsCrossTheVectorLoop) {
  std::string path(51, 'p');
  path[0] = '/';
  for (size_t i = 1; i < path.size(); ++i) {
    std::string bad = path;
    bad[i] = '\x7f';
    ParseResult r = parse("GET " + bad + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(r.status, ParseStatus::kError) << i;
    EXPECT_EQ(r.error_status, 400);
    bad[i] = '#';
    r = parse("GET " + bad + " HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(r.status, ParseStatus::kError) << i;
    EXPECT_EQ(r.error, "fragment in request-target");
  }
}

TEST_F(RequestParserTest, PipelinedRequestsUseConsumed) {
  const std::string first = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /two HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
  const std::string buf = first + second + "abc";
  ParseResult r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_EQ(head_.path, "/one");
  std::string_view rest = std::string_view(buf).substr(r.consumed);
  r = parse(rest);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, second.size());
  EXPECT_EQ(head_.path, "/two");
  EXPECT_EQ(head_.content_length, 3u);
  EXPECT_EQ(rest.substr(r.consumed), "abc");
}

TEST_F(RequestParserTest, ExpectContinue) {
  parseOk("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_TRUE(head_.expect_continue);
  parseOk("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
  EXPECT_TRUE(head_.expect_continue);
}

TEST_F(RequestParserTest, ExpectIsIgnoredOnHttp10) {
  parseOk("PUT /x HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_FALSE(head_.expect_continue);
  parseOk("PUT /x HTTP/1.0\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\n");
  EXPECT_FALSE(head_.expect_continue);
}

TEST_F(RequestParserTest, Http10IsNotPersistentByDefault) {
  parseOk("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head_.version_minor, 0);
  EXPECT_FALSE(head_.keep_alive);
  EXPECT_EQ(head_.authority, "");
}

TEST_F(RequestParserTest, Http10KeepAlive) {
  parseOk("GET / HTTP/1.0\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_TRUE(head_.keep_alive);
  EXPECT_FALSE(head_.has_connection_tokens);
  EXPECT_EQ(head_.authority, "h");
  parseOk("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
  EXPECT_FALSE(head_.keep_alive);
}

TEST_F(RequestParserTest, ConnectionClose) {
  parseOk("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n");
  EXPECT_FALSE(head_.keep_alive);
  parseOk("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: ,close , \r\n\r\n");
  EXPECT_FALSE(head_.keep_alive);
  EXPECT_TRUE(head_.has_connection_tokens);
}

TEST_F(RequestParserTest, ConnectionTokens) {
  parseOk("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: x\r\n\r\n");
  EXPECT_TRUE(head_.keep_alive);
  EXPECT_TRUE(head_.has_connection_tokens);
}

TEST_F(RequestParserTest, HigherMinorVersionsAreServedAs11) {
  for (char minor = '1'; minor <= '9'; ++minor) {
    std::string req = "GET / HTTP/1.";
    req += minor;
    req += "\r\nHost: h\r\n\r\n";
    parseOk(req);
    EXPECT_EQ(head_.version_minor, 1) << req;
  }
}

TEST_F(RequestParserTest, Http12StillNeedsHost) {
  ParseResult r = parse("GET / HTTP/1.2\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 400);
}

TEST_F(RequestParserTest, AbsoluteFormUsesTargetAuthority) {
  parseOk("GET http://Api.Example.com:8080/v1/items?id=7 HTTP/1.1\r\nHost: other.test\r\n\r\n");
  EXPECT_EQ(head_.target_form, TargetForm::kAbsolute);
  EXPECT_EQ(head_.authority, "Api.Example.com:8080");
  EXPECT_EQ(head_.path, "/v1/items");
  EXPECT_EQ(head_.query, "id=7");
  EXPECT_EQ(head_.target, "http://Api.Example.com:8080/v1/items?id=7");
}

TEST_F(RequestParserTest, AbsoluteFormSchemeIsCaseInsensitive) {
  parseOk("GET HTTPS://h.test/x HTTP/1.1\r\nHost: h.test\r\n\r\n");
  EXPECT_EQ(head_.target_form, TargetForm::kAbsolute);
  EXPECT_EQ(head_.authority, "h.test");
  EXPECT_EQ(head_.path, "/x");
}

TEST_F(RequestParserTest, AbsoluteFormEmptyPathIsRoot) {
  parseOk("GET http://h.test HTTP/1.1\r\nHost: h.test\r\n\r\n");
  EXPECT_EQ(head_.path, "/");
  EXPECT_EQ(head_.query, "");
  parseOk("GET http://h.test?a=1 HTTP/1.1\r\nHost: h.test\r\n\r\n");
  EXPECT_EQ(head_.authority, "h.test");
  EXPECT_EQ(head_.path, "/");
  EXPECT_EQ(head_.query, "a=1");
}

TEST_F(RequestParserTest, AbsoluteFormOnHttp10NeedsNoHost) {
  parseOk("GET http://[2001:db8::1]:81/ HTTP/1.0\r\n\r\n");
  EXPECT_EQ(head_.authority, "[2001:db8::1]:81");
}

TEST_F(RequestParserTest, OptionsAsterisk) {
  parseOk("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kOptions);
  EXPECT_EQ(head_.target_form, TargetForm::kAsterisk);
  EXPECT_EQ(head_.path, "*");
  EXPECT_EQ(head_.authority, "h");
}

TEST_F(RequestParserTest, ConnectAuthorityForm) {
  parseOk("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  EXPECT_EQ(head_.method, Method::kConnect);
  EXPECT_EQ(head_.target_form, TargetForm::kAuthority);
  EXPECT_EQ(head_.authority, "example.com:443");
  EXPECT_EQ(head_.path, "");
}

TEST_F(RequestParserTest, LeadingEmptyLinesAreSkipped) {
  parseOk("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(head_.path, "/");
  parseOk("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ParseResult r = parse("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 400);
}

TEST_F(RequestParserTest, LeadingEmptyLineAloneIsIncomplete) {
  EXPECT_EQ(parse("\r\n").status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse("\r").status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse("").status, ParseStatus::kIncomplete);
}

TEST_F(RequestParserTest, HostForms) {
  for (const char* host :
       {"example.com", "EXAMPLE.com:80", "127.0.0.1:65535", "[::1]", "[::1]:8080",
        "[2001:db8:0:0:1:0:0:1]", "[::ffff:192.0.2.1]", "[v1.fe80::a+en1]", "xn--nxasmq6b.test",
        "a%2Db.test", "sub_domain.test", "h:0"}) {
    const std::string req = std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n";
    parseOk(req);
    EXPECT_EQ(head_.authority, host);
  }
}

TEST_F(RequestParserTest, ReusedHeadIsFullyReset) {
  parseOk(
      "PUT http://a.test/x?y HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close, foo\r\nExpect: 100-continue\r\n\r\n");
  const std::string simple = "GET / HTTP/1.0\r\n\r\n";
  parseOk(simple);
  RequestHead fresh;
  ASSERT_EQ(parseRequestHead(simple, {}, fresh).status, ParseStatus::kComplete);
  expectSameHead(head_, fresh);
}

// Every prefix of a valid request is incomplete; the whole gives the same head every time.
void checkEverySplit(std::string_view req) {
  RequestHead reference;
  ParseResult whole = parseRequestHead(req, {}, reference);
  ASSERT_EQ(whole.status, ParseStatus::kComplete) << whole.error;
  RequestHead head;
  for (size_t i = 0; i < req.size(); ++i) {
    ParseResult r = parseRequestHead(req.substr(0, i), {}, head);
    ASSERT_EQ(r.status, ParseStatus::kIncomplete) << "split at " << i << ": " << r.error;
    r = parseRequestHead(req, {}, head);
    ASSERT_EQ(r.status, ParseStatus::kComplete);
    ASSERT_EQ(r.consumed, whole.consumed);
    expectSameHead(head, reference);
  }
}

TEST(RequestParserIncrementalTest, EverySplitPoint) {
  checkEverySplit(
      "\r\nPOST http://api.test:8080/v1/items?limit=10 HTTP/1.1\r\n"
      "Host: api.test:8080\r\n"
      "User-Agent: curl/8.5.0\r\n"
      "X-Obs: caf\xc3\xa9\t\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Connection: keep-alive, x-trace\r\n"
      "Expect: 100-continue\r\n"
      "\r\n");
  checkEverySplit("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  checkEverySplit("OPTIONS * HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n");
}

TEST(RequestParserIncrementalTest, ErrorsStayErrorsAsBytesArrive) {
  // Once a prefix is rejected, every longer buffer is rejected with the same status.
  const std::string bad = "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestHead head;
  bool seen_error = false;
  for (size_t i = 0; i <= bad.size(); ++i) {
    ParseResult r = parseRequestHead(std::string_view(bad).substr(0, i), {}, head);
    if (seen_error) {
      ASSERT_EQ(r.status, ParseStatus::kError) << i;
      EXPECT_EQ(r.error_status, 400);
    }
    seen_error = r.status == ParseStatus::kError;
  }
  EXPECT_TRUE(seen_error);
}

// --- limits, exactly at and one past each boundary ---

std::string requestWithTarget(size_t line_length) {
  // "GET " + target + " HTTP/1.1" is line_length bytes long.
  const size_t target = line_length - 4 - 9;
  return "GET /" + std::string(target - 1, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

TEST(RequestParserLimitsTest, RequestLineAtLimit) {
  ParserLimits limits;
  limits.max_request_line = 100;
  RequestHead head;
  const std::string req = requestWithTarget(100);
  ParseResult r = parseRequestHead(req, limits, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(head.target.size() + 13, 100u);
}

TEST(RequestParserLimitsTest, RequestLineOnePastLimitIs414) {
  ParserLimits limits;
  limits.max_request_line = 100;
  RequestHead head;
  const std::string req = requestWithTarget(101);
  ParseResult r = parseRequestHead(req, limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 414);
}

TEST(RequestParserLimitsTest, LongRequestLineIs414WhileStillIncomplete) {
  ParserLimits limits;
  limits.max_request_line = 100;
  RequestHead head;
  const std::string partial = "GET /" + std::string(96, 'a');  // 101 bytes, no CR yet
  ParseResult r = parseRequestHead(partial.substr(0, 100), limits, head);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
  r = parseRequestHead(partial, limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 414);
}

TEST(RequestParserLimitsTest, DefaultLimitAcceptsEightKilobyteLines) {
  RequestHead head;
  const std::string req = requestWithTarget(8 * 1024);
  ParseResult r = parseRequestHead(req, {}, head);
  EXPECT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(parseRequestHead(requestWithTarget(8 * 1024 + 1), {}, head).error_status, 414);
}

std::string requestWithHeadSize(size_t size) {
  const std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string suffix = "\r\n\r\n";
  return prefix + std::string(size - prefix.size() - suffix.size(), 'p') + suffix;
}

TEST(RequestParserLimitsTest, HeadAtLimit) {
  ParserLimits limits;
  limits.max_head_bytes = 200;
  RequestHead head;
  const std::string req = requestWithHeadSize(200);
  ASSERT_EQ(req.size(), 200u);
  ParseResult r = parseRequestHead(req, limits, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.consumed, 200u);
}

TEST(RequestParserLimitsTest, HeadOnePastLimitIs431) {
  ParserLimits limits;
  limits.max_head_bytes = 200;
  RequestHead head;
  ParseResult r = parseRequestHead(requestWithHeadSize(201), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParserLimitsTest, HeadLimitCountsFromTheRequestLine) {
  ParserLimits limits;
  limits.max_head_bytes = 200;
  RequestHead head;
  ParseResult r = parseRequestHead("\r\n" + requestWithHeadSize(200), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.consumed, 202u);
}

TEST(RequestParserLimitsTest, LargeHeadIs431WhileStillIncomplete) {
  ParserLimits limits;
  limits.max_head_bytes = 200;
  RequestHead head;
  std::string partial = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(300, 'p');
  EXPECT_EQ(parseRequestHead(partial.substr(0, 200), limits, head).status,
            ParseStatus::kIncomplete);
  ParseResult r = parseRequestHead(partial.substr(0, 201), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParserLimitsTest, BodyBytesAfterTheHeadDoNotCount) {
  ParserLimits limits;
  limits.max_head_bytes = 200;
  RequestHead head;
  const std::string req = requestWithHeadSize(200) + std::string(1000, 'b');
  ParseResult r = parseRequestHead(req, limits, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(r.consumed, 200u);
}

std::string requestWithFields(size_t fields) {
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 1; i < fields; ++i)
    req += "X-F" + std::to_string(i) + ": v\r\n";
  return req + "\r\n";
}

TEST(RequestParserLimitsTest, FieldCountAtLimit) {
  ParserLimits limits;
  limits.max_headers = 10;
  RequestHead head;
  ParseResult r = parseRequestHead(requestWithFields(10), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
  EXPECT_EQ(head.headers.size(), 10u);
}

TEST(RequestParserLimitsTest, FieldCountOnePastLimitIs431) {
  ParserLimits limits;
  limits.max_headers = 10;
  RequestHead head;
  ParseResult r = parseRequestHead(requestWithFields(11), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParserLimitsTest, FieldCountIsCappedByHeaderListCapacity) {
  ParserLimits limits;
  limits.max_headers = 1000;
  limits.max_head_bytes = 64 * 1024;
  RequestHead head;
  EXPECT_EQ(parseRequestHead(requestWithFields(HeaderList::kCapacity), limits, head).status,
            ParseStatus::kComplete);
  ParseResult r = parseRequestHead(requestWithFields(HeaderList::kCapacity + 1), limits, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParserLimitsTest, MethodAtAndPastLengthLimit) {
  RequestHead head;
  const std::string m32(32, 'M');
  EXPECT_EQ(parseRequestHead(m32 + " / HTTP/1.1\r\nHost: h\r\n\r\n", {}, head).status,
            ParseStatus::kComplete);
  ParseResult r = parseRequestHead(m32 + "M / HTTP/1.1\r\nHost: h\r\n\r\n", {}, head);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 501);
  // Known as soon as the 33rd method byte arrives.
  r = parseRequestHead(m32 + "M", {}, head);
  EXPECT_EQ(r.error_status, 501);
}

}  // namespace
}  // namespace tidegate::http
