#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "http/parser.h"
#include "test_util.h"

namespace tidegate::http {
namespace {

using testing::expectSameHead;
using testing::inside;

class ResponseParserTest : public ::testing::Test {
 protected:
  ParseResult parse(std::string_view buf, Method method = Method::kGet,
                    const ParserLimits& limits = {}) {
    return parseResponseHead(buf, limits, method, head_);
  }
  void parseOk(std::string_view buf, Method method = Method::kGet) {
    ParseResult r = parse(buf, method);
    ASSERT_EQ(r.status, ParseStatus::kComplete) << r.error;
    EXPECT_EQ(r.consumed, buf.size());
    EXPECT_TRUE(inside(head_.reason, buf));
    for (const Header& h : head_.headers) {
      EXPECT_TRUE(inside(h.name, buf));
      EXPECT_TRUE(inside(h.value, buf));
    }
  }
  void expectBadGateway(std::string_view buf, Method method = Method::kGet) {
    ParseResult r = parse(buf, method);
    ASSERT_EQ(r.status, ParseStatus::kError) << "accepted: " << buf;
    EXPECT_EQ(r.error_status, 502);
    EXPECT_FALSE(r.error.empty());
  }

  ResponseHead head_;
};

TEST_F(ResponseParserTest, OkWithContentLength) {
  parseOk("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n");
  EXPECT_EQ(head_.version_minor, 1);
  EXPECT_EQ(head_.status, 200);
  EXPECT_EQ(head_.reason, "OK");
  ASSERT_EQ(head_.headers.size(), 2u);
  EXPECT_EQ(head_.headers[1].value, "12");
  EXPECT_EQ(head_.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head_.content_length, 12u);
  EXPECT_TRUE(head_.keep_alive);
}

TEST_F(ResponseParserTest, ContentLengthZeroKeepsContentLengthFraming) {
  // Unlike a request, a response without a length reads until close, so 0 stays explicit.
  parseOk("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head_.content_length, 0u);
  EXPECT_TRUE(head_.keep_alive);
}

TEST_F(ResponseParserTest, MissingReasonPhrase) {
  parseOk("HTTP/1.1 204\r\n\r\n");
  EXPECT_EQ(head_.status, 204);
  EXPECT_EQ(head_.reason, "");
  parseOk("HTTP/1.1 204 \r\n\r\n");
  EXPECT_EQ(head_.reason, "");
}

TEST_F(ResponseParserTest, ReasonWithSpacesTabsAndObsText) {
  parseOk("HTTP/1.1 404 Not \tFound \xe2\x9c\x97\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_.reason, "Not \tFound \xe2\x9c\x97");
}

TEST_F(ResponseParserTest, Chunked) {
  parseOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kChunked);
  EXPECT_TRUE(head_.keep_alive);
}

TEST_F(ResponseParserTest, TransferEncodingNotEndingInChunkedReadsUntilClose) {
  parseOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(head_.keep_alive);
  parseOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kUntilClose);
}

TEST_F(ResponseParserTest, NoLengthReadsUntilClose) {
  parseOk("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(head_.keep_alive);
}

TEST_F(ResponseParserTest, HeadResponseHasNoBody) {
  parseOk("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", Method::kHead);
  EXPECT_EQ(head_.framing, BodyFraming::kNone);
  EXPECT_TRUE(head_.keep_alive);
  parseOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::kHead);
  EXPECT_EQ(head_.framing, BodyFraming::kNone);
}

TEST_F(ResponseParserTest, BodilessStatuses) {
  for (int status : {100, 101, 103, 199, 204, 304}) {
    parseOk("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 10\r\n\r\n");
    EXPECT_EQ(head_.status, status);
    EXPECT_EQ(head_.framing, BodyFraming::kNone) << status;
    EXPECT_TRUE(head_.keep_alive) << status;
  }
  // 205 is not in the list: it may carry a (zero) length body.
  parseOk("HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kContentLength);
}

TEST_F(ResponseParserTest, InterimThenFinalResponsePipelined) {
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string final = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n";
  const std::string buf = interim + final + "ok";
  ParseResult r = parse(buf);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, interim.size());
  EXPECT_EQ(head_.status, 100);
  r = parse(std::string_view(buf).substr(r.consumed));
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, final.size());
  EXPECT_EQ(head_.status, 201);
  EXPECT_EQ(head_.content_length, 2u);
}

TEST_F(ResponseParserTest, Http10Persistence) {
  parseOk("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
  EXPECT_EQ(head_.version_minor, 0);
  EXPECT_FALSE(head_.keep_alive);
  parseOk("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(head_.keep_alive);
  // Without a length the body ends at close, whatever Connection says.
  parseOk("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_FALSE(head_.keep_alive);
}

TEST_F(ResponseParserTest, ConnectionClose) {
  parseOk("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\n");
  EXPECT_FALSE(head_.keep_alive);
  EXPECT_FALSE(head_.has_connection_tokens);
  parseOk("HTTP/1.1 200 OK\r\nConnection: x-foo\r\nContent-Length: 1\r\n\r\n");
  EXPECT_TRUE(head_.keep_alive);
  EXPECT_TRUE(head_.has_connection_tokens);
}

TEST_F(ResponseParserTest, IdenticalContentLengthsAreCollapsed) {
  parseOk("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(head_.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head_.content_length, 5u);
}

TEST_F(ResponseParserTest, HigherMinorVersion) {
  parseOk("HTTP/1.7 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_.version_minor, 1);
}

TEST_F(ResponseParserTest, ReusedHeadIsFullyReset) {
  parseOk("HTTP/1.1 200 OK\r\nConnection: close, x\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string simple = "HTTP/1.1 204 No Content\r\n\r\n";
  parseOk(simple);
  ResponseHead fresh;
  ASSERT_EQ(parseResponseHead(simple, {}, Method::kGet, fresh).status, ParseStatus::kComplete);
  expectSameHead(head_, fresh);
}

TEST_F(ResponseParserTest, Rejections) {
  expectBadGateway("HTTP/2.0 200 OK\r\n\r\n");
  expectBadGateway("HTTP/0.9 200 OK\r\n\r\n");
  expectBadGateway("http/1.1 200 OK\r\n\r\n");
  expectBadGateway("HTTP/1.10 200 OK\r\n\r\n");
  expectBadGateway("HTTP/1.1  200 OK\r\n\r\n");
  expectBadGateway("HTTP/1.1 20 OK\r\n\r\n");
  expectBadGateway("HTTP/1.1 2000 OK\r\n\r\n");
  expectBadGateway("HTTP/1.1 20x OK\r\n\r\n");
  expectBadGateway("HTTP/1.1 099 Low\r\n\r\n");
  expectBadGateway("HTTP/1.1 600 High\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 O\x01K\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\rX\r\n\r\n");
  expectBadGateway("\r\nHTTP/1.1 200 OK\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nX-A : v\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nX-A: v\r\n folded\r\n\r\n");
  expectBadGateway(std::string("HTTP/1.1 200 OK\r\nX-A: \0\r\n\r\n", 27));
  expectBadGateway("HTTP/1.1 200 OK\r\nX-A: v\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n");
  expectBadGateway("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nConnection: a b\r\n\r\n");
  // Syntax is checked even where the framing is not used.
  expectBadGateway("HTTP/1.1 304 Not Modified\r\nContent-Length: x\r\n\r\n");
  expectBadGateway("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", Method::kHead);
}

TEST_F(ResponseParserTest, FieldCountLimit) {
  ParserLimits limits;
  limits.max_headers = 3;
  const std::string ok = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(parse(ok, Method::kGet, limits).status, ParseStatus::kComplete);
  ParseResult r = parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n",
                        Method::kGet, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 502);
}

TEST_F(ResponseParserTest, HeadSizeLimitAtAndPastBoundary) {
  ParserLimits limits;
  limits.max_head_bytes = 100;
  const std::string prefix = "HTTP/1.1 200 OK\r\nX-Pad: ";
  const std::string at = prefix + std::string(100 - prefix.size() - 4, 'p') + "\r\n\r\n";
  ASSERT_EQ(at.size(), 100u);
  EXPECT_EQ(parse(at, Method::kGet, limits).status, ParseStatus::kComplete);
  const std::string past = prefix + std::string(101 - prefix.size() - 4, 'p') + "\r\n\r\n";
  ParseResult r = parse(past, Method::kGet, limits);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error_status, 502);
  // Known before the head ends.
  r = parse(past.substr(0, 101), Method::kGet, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
}

TEST_F(ResponseParserTest, StatusLineLimit) {
  ParserLimits limits;
  limits.max_request_line = 30;
  const std::string at = "HTTP/1.1 200 " + std::string(17, 'r');  // 30 bytes
  EXPECT_EQ(parse(at + "\r\n\r\n", Method::kGet, limits).status, ParseStatus::kComplete);
  EXPECT_EQ(parse(at + "r", Method::kGet, limits).status, ParseStatus::kError);
  EXPECT_EQ(parse(at, Method::kGet, limits).status, ParseStatus::kIncomplete);
}

TEST(ResponseParserIncrementalTest, EverySplitPoint) {
  const std::string resp =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nTransfer-Encoding: chunked\r\n"
      "Connection: keep-alive, x-hop\r\nX-Obs: \xff\r\n\r\n";
  ResponseHead reference;
  ParseResult whole = parseResponseHead(resp, {}, Method::kGet, reference);
  ASSERT_EQ(whole.status, ParseStatus::kComplete);
  ResponseHead head;
  for (size_t i = 0; i < resp.size(); ++i) {
    ParseResult r = parseResponseHead(std::string_view(resp).substr(0, i), {}, Method::kGet, head);
    ASSERT_EQ(r.status, ParseStatus::kIncomplete) << "split at " << i << ": " << r.error;
    r = parseResponseHead(resp, {}, Method::kGet, head);
    ASSERT_EQ(r.consumed, whole.consumed);
    expectSameHead(head, reference);
  }
}

}  // namespace
}  // namespace tidegate::http
