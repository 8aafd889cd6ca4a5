#include <gtest/gtest.h>

#include "http/parser.h"

namespace tidegate::http {
namespace {

TEST(HopByHopTest, StandardFieldsInAnyCase) {
  for (const char* name :
       {"Connection", "keep-alive", "PROXY-CONNECTION", "TE", "Trailer", "transfer-encoding",
        "Upgrade", "Proxy-Authenticate", "proxy-authorization"}) {
    EXPECT_TRUE(isHopByHopField(name)) << name;
  }
}

TEST(HopByHopTest, EndToEndFields) {
  for (const char* name : {"Host", "Content-Length", "Trailers", "Keep-Alives",
                           "Upgrade-Insecure-Requests", "TE2", "Authorization", "Proxy", ""}) {
    EXPECT_FALSE(isHopByHopField(name)) << name;
  }
}

TEST(HopByHopTest, NamedByConnection) {
  HeaderList headers;
  headers.push("Host", "h");
  headers.push("connection", "keep-alive, X-Trace-Id");
  headers.push("CONNECTION", " ,Upgrade\t, ");
  EXPECT_TRUE(isNamedByConnection(headers, "x-trace-id"));
  EXPECT_TRUE(isNamedByConnection(headers, "X-TRACE-ID"));
  EXPECT_TRUE(isNamedByConnection(headers, "upgrade"));
  EXPECT_TRUE(isNamedByConnection(headers, "Keep-Alive"));
  EXPECT_FALSE(isNamedByConnection(headers, "x-trace"));
  EXPECT_FALSE(isNamedByConnection(headers, "host"));
  EXPECT_FALSE(isNamedByConnection(headers, ""));
}

TEST(HopByHopTest, NamedByConnectionWithoutConnectionField) {
  HeaderList headers;
  headers.push("X-Connection", "foo");
  EXPECT_FALSE(isNamedByConnection(headers, "foo"));
}

}  // namespace
}  // namespace tidegate::http
