// ResponseReader: whole responses in each framing, fed at once and one byte at a time (the way
// a slow connection delivers them), and every way one can fail.

#include "http/response_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace tidegate::http {
namespace {

using State = ResponseReader::State;

struct Outcome {
  State state;
  uint16_t status;
  std::string body;
  std::string error;
};

// Feeds `bytes` whole, then closes if `close`.
Outcome readWhole(std::string_view bytes, bool close, size_t max_body = 1 << 20) {
  ResponseReader r(max_body);
  State s = r.update(bytes, false);
  if (s == State::kIncomplete && close) s = r.update(bytes, true);
  return {s, r.status(), r.body(), std::string(r.error())};
}

// Feeds `bytes` one more byte per call, as a trickling connection would; the state must stay
// kIncomplete until the last byte (or the close) decides it.
Outcome readTrickled(std::string_view bytes, bool close, size_t max_body = 1 << 20) {
  ResponseReader r(max_body);
  State s = State::kIncomplete;
  for (size_t n = 0; n <= bytes.size() && s == State::kIncomplete; ++n)
    s = r.update(bytes.substr(0, n), false);
  if (s == State::kIncomplete && close) s = r.update(bytes, true);
  return {s, r.status(), r.body(), std::string(r.error())};
}

void expectBoth(std::string_view bytes, bool close, State state, uint16_t status,
                std::string_view body) {
  for (const Outcome& o : {readWhole(bytes, close), readTrickled(bytes, close)}) {
    EXPECT_EQ(o.state, state) << o.error;
    EXPECT_EQ(o.status, status);
    EXPECT_EQ(o.body, body);
  }
}

TEST(ResponseReaderTest, ContentLength) {
  expectBoth(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nqueue 3\nok 1\n",
      false, State::kComplete, 200, "queue 3\nok 1\n");
  // Bytes after the body (a server that ignored Connection: close) are not the body's.
  expectBoth("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabEXTRA", false, State::kComplete, 200,
             "ab");
  expectBoth("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, State::kComplete, 200, "");
}

TEST(ResponseReaderTest, Chunked) {
  expectBoth(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "7\r\nqueue 3\r\n6;ext=1\r\n\nok 1\n\r\n0\r\nX-Trailer: t\r\n\r\n",
      false, State::kComplete, 200, "queue 3\nok 1\n");
}

TEST(ResponseReaderTest, UntilClose) {
  const std::string bytes = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nqueue 3\n";
  expectBoth(bytes, true, State::kComplete, 200, "queue 3\n");
  EXPECT_EQ(readWhole(bytes, false).state, State::kIncomplete);
  expectBoth("HTTP/1.0 200 OK\r\n\r\nold 1\n", true, State::kComplete, 200, "old 1\n");
}

TEST(ResponseReaderTest, InterimHeadsAreSkipped) {
  expectBoth(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
      false, State::kComplete, 200, "abc");
}

TEST(ResponseReaderTest, StatusesAreReportedNotJudged) {
  expectBoth("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", false,
             State::kComplete, 503, "busy");
  expectBoth("HTTP/1.1 204 No Content\r\n\r\n", false, State::kComplete, 204, "");
}

TEST(ResponseReaderTest, Errors) {
  auto errorOf = [](std::string_view bytes, bool close, size_t max_body = 1 << 20) {
    Outcome whole = readWhole(bytes, close, max_body);
    Outcome trickled = readTrickled(bytes, close, max_body);
    EXPECT_EQ(whole.state, State::kError) << bytes;
    EXPECT_EQ(trickled.state, State::kError) << bytes;
    EXPECT_EQ(whole.error, trickled.error);
    return whole.error;
  };
  EXPECT_EQ(errorOf("", true), "closed without a response");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\nContent-Le", true), "closed inside the response head");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true),
            "closed inside the body");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true),
            "closed inside the chunked body");
  EXPECT_FALSE(
      errorOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false).empty());
  EXPECT_FALSE(errorOf("HTTP/1.1 200 OK\nContent-Length: 1\n\nx", false).empty());
  EXPECT_EQ(
      errorOf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx", false),
      "the body has a Content-Encoding");
  EXPECT_EQ(errorOf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", false),
            "unexpected 101 Switching Protocols");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", false, 10),
            "the body is larger than the limit");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\n\r\n0123456789AB", true, 10),
            "the body is larger than the limit");
  EXPECT_EQ(errorOf("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n"
                    "6\r\n012345\r\n0\r\n\r\n",
                    false, 10),
            "the body is larger than the limit");
}

TEST(ResponseReaderTest, IdentityEncodingIsFine) {
  expectBoth("HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 1\r\n\r\nx", false,
             State::kComplete, 200, "x");
}

TEST(ResponseReaderTest, DecidedStateSticks) {
  ResponseReader r(100);
  const std::string_view bytes = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(r.update(bytes, false), State::kComplete);
  EXPECT_EQ(r.update(bytes, true), State::kComplete);
  EXPECT_EQ(r.body(), "x");
}

}  // namespace
}  // namespace tidegate::http
