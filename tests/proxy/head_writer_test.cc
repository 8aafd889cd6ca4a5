#include "proxy/head_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "http/parser.h"

namespace tidegate::proxy {
namespace {

std::string upstreamHead(const std::string& raw, std::string_view* rid = nullptr) {
  http::RequestHead head;
  auto r = http::parseRequestHead(raw, http::ParserLimits{}, head);
  EXPECT_EQ(r.status, http::ParseStatus::kComplete) << r.error;
  char out[4096];
  HeadWriter w(out, sizeof out);
  std::string_view id;
  writeUpstreamRequestHead(head, {"10.1.2.3", "http", "generated-id", "pool"}, w, id);
  EXPECT_FALSE(w.overflow());
  if (rid) *rid = id;
  return std::string(w.view());
}

TEST(HeadWriterTest, DropsHopByHopAndAddsForwardingFields) {
  std::string raw =
      "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, X-Secret\r\n"
      "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\n"
      "Proxy-Connection: keep-alive\r\nX-Custom:  v  a l \r\nAccept: */*\r\n\r\n";
  std::string_view id;
  std::string out = upstreamHead(raw, &id);
  EXPECT_EQ(out,
            "GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nX-Custom: v  a l\r\nAccept: */*\r\n"
            "X-Request-Id: generated-id\r\nX-Forwarded-For: 10.1.2.3\r\n"
            "X-Forwarded-Proto: http\r\n\r\n");
  EXPECT_EQ(id, "generated-id");
}

TEST(HeadWriterTest, AppendsToEveryEarlierForwardedFor) {
  std::string out = upstreamHead(
      "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1\r\nX-Request-Id: abc\r\n"
      "X-Forwarded-For: 2.2.2.2, 3.3.3.3\r\nX-Forwarded-Proto: https\r\n\r\n");
  EXPECT_NE(out.find("X-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3, 10.1.2.3\r\n"),
            std::string::npos);
  EXPECT_NE(out.find("X-Request-Id: abc\r\n"), std::string::npos);
  EXPECT_EQ(out.find("generated-id"), std::string::npos);
  EXPECT_EQ(out.find("https"), std::string::npos);  // we saw plain http
}

TEST(HeadWriterTest, ReframesBodies) {
  std::string cl = upstreamHead("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n");
  EXPECT_NE(cl.find("Content-Length: 5\r\n"), std::string::npos);
  std::string te = upstreamHead(
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_NE(te.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(te.find("Expect"), std::string::npos);  // the gateway answers 100-continue itself
}

TEST(HeadWriterTest, EmptyPostKeepsContentLengthZero) {
  std::string out = upstreamHead("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos) << out;
  std::string get = upstreamHead("GET /p HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(get.find("Content-Length"), std::string::npos) << get;
}

TEST(HeadWriterTest, Http10WithoutHostGetsOne) {
  std::string out = upstreamHead("GET /p HTTP/1.0\r\n\r\n");
  EXPECT_EQ(out.rfind("GET /p HTTP/1.1\r\nHost: pool\r\n", 0), 0u) << out;
}

TEST(HeadWriterTest, AbsoluteFormBecomesOriginFormWithItsAuthority) {
  std::string out =
      upstreamHead("GET http://api.example.com:8080/x?y HTTP/1.1\r\nHost: other\r\n\r\n");
  EXPECT_EQ(out.rfind("GET /x?y HTTP/1.1\r\nHost: api.example.com:8080\r\n", 0), 0u) << out;
  EXPECT_EQ(out.find("other"), std::string::npos);
}

TEST(HeadWriterTest, ClientResponseHead) {
  std::string raw =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
      "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";
  http::ResponseHead resp;
  auto r = http::parseResponseHead(raw, http::ParserLimits{}, http::Method::kGet, resp);
  ASSERT_EQ(r.status, http::ParseStatus::kComplete);
  char out[1024];
  HeadWriter w(out, sizeof out);
  writeClientResponseHead(resp, 1, ClientCoding::kChunked, false, w);
  EXPECT_EQ(w.view(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");

  HeadWriter w10(out, sizeof out);
  writeClientResponseHead(resp, 0, ClientCoding::kIdentity, true, w10);
  EXPECT_EQ(w10.view(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
}

TEST(HeadWriterTest, OtherTransferCodingsPassAsReceived) {
  std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: 1\r\n\r\n";
  http::ResponseHead resp;
  auto r = http::parseResponseHead(raw, http::ParserLimits{}, http::Method::kGet, resp);
  ASSERT_EQ(r.status, http::ParseStatus::kComplete);
  EXPECT_TRUE(hasOtherTransferCodings(resp));
  char out[1024];
  HeadWriter w(out, sizeof out);
  writeClientResponseHead(resp, 1, ClientCoding::kAsReceived, false, w);
  EXPECT_EQ(w.view(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nX-A: 1\r\n\r\n");
}

TEST(HeadWriterTest, OverflowIsReportedNotWritten) {
  char out[16];
  HeadWriter w(out, sizeof out);
  writeLocalResponse(502, "upstream connect failed\n", "id", true, w);
  EXPECT_TRUE(w.overflow());
  EXPECT_LE(w.size(), sizeof out);
}

TEST(HeadWriterTest, LocalResponse) {
  char out[512];
  HeadWriter w(out, sizeof out);
  writeLocalResponse(404, "no route\n", "rid", false, w);
  EXPECT_EQ(w.view(),
            "HTTP/1.1 404 Not Found\r\nServer: tidegate\r\nContent-Type: text/plain\r\n"
            "Content-Length: 9\r\nX-Request-Id: rid\r\n\r\nno route\n");
}

}  // namespace
}  // namespace tidegate::proxy
