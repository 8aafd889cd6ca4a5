#include <gtest/gtest.h>

#include "http/method.h"
#include "http/status.h"

namespace tidegate::http {
namespace {

TEST(MethodTest, RegisteredMethods) {
  EXPECT_EQ(methodFromToken("GET"), Method::kGet);
  EXPECT_EQ(methodFromToken("HEAD"), Method::kHead);
  EXPECT_EQ(methodFromToken("POST"), Method::kPost);
  EXPECT_EQ(methodFromToken("PUT"), Method::kPut);
  EXPECT_EQ(methodFromToken("DELETE"), Method::kDelete);
  EXPECT_EQ(methodFromToken("CONNECT"), Method::kConnect);
  EXPECT_EQ(methodFromToken("OPTIONS"), Method::kOptions);
  EXPECT_EQ(methodFromToken("TRACE"), Method::kTrace);
  EXPECT_EQ(methodFromToken("PATCH"), Method::kPatch);
}

TEST(MethodTest, CaseSensitiveAndExtensions) {
  EXPECT_EQ(methodFromToken("get"), Method::kOther);
  EXPECT_EQ(methodFromToken("Post"), Method::kOther);
  EXPECT_EQ(methodFromToken("PROPFIND"), Method::kOther);
  EXPECT_EQ(methodFromToken("GETS"), Method::kOther);
  EXPECT_EQ(methodFromToken(""), Method::kOther);
}

TEST(MethodTest, Idempotence) {
  EXPECT_TRUE(isIdempotent(Method::kPut));
  EXPECT_FALSE(isIdempotent(Method::kPost));
  EXPECT_FALSE(isIdempotent(Method::kPatch));
}

TEST(StatusTest, ReasonPhrases) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(400), "Bad Request");
  EXPECT_EQ(reasonPhrase(413), "Content Too Large");
  EXPECT_EQ(reasonPhrase(414), "URI Too Long");
  EXPECT_EQ(reasonPhrase(417), "Expectation Failed");
  EXPECT_EQ(reasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(501), "Not Implemented");
  EXPECT_EQ(reasonPhrase(502), "Bad Gateway");
  EXPECT_EQ(reasonPhrase(505), "HTTP Version Not Supported");
}

TEST(StatusTest, UnknownCodes) {
  EXPECT_EQ(reasonPhrase(299), "Unknown");
  EXPECT_EQ(reasonPhrase(0), "Unknown");
  EXPECT_EQ(reasonPhrase(-1), "Unknown");
  EXPECT_EQ(reasonPhrase(1000), "Unknown");
}

}  // namespace
}  // namespace tidegate::http
