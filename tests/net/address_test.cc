#include "net/address.h"

#include <gtest/gtest.h>

namespace tidegate::net {
namespace {

TEST(AddressTest, ParsesV4V6AndAliases) {
  auto a = parseAddress("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 8080);
  EXPECT_EQ(a->toString(), "127.0.0.1:8080");

  auto b = parseAddress("[::1]:443");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->family(), AF_INET6);
  EXPECT_EQ(b->toString(), "[::1]:443");

  EXPECT_EQ(parseAddress("*:80")->toString(), "0.0.0.0:80");
  EXPECT_EQ(parseAddress("localhost:80")->toString(), "127.0.0.1:80");
}

TEST(AddressTest, RejectsMalformed) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "1.2.3.4:x", "::1:80",
                          "[::1]80", "[::1", "example.com:80", "1.2.3.4:80 "})
    EXPECT_FALSE(parseAddress(bad)) << bad;
}

}  // namespace
}  // namespace tidegate::net
