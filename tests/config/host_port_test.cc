#include "config/host_port.h"

#include <gtest/gtest.h>

namespace tidegate::config {
namespace {

std::string canonical(std::string_view text) {
  Result<std::string> r = canonicalHostPort(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : "";
}

std::string failure(std::string_view text) {
  Result<std::string> r = canonicalHostPort(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message();
}

TEST(HostPortTest, AcceptsNumericAddresses) {
  EXPECT_EQ(canonical("0.0.0.0:8080"), "0.0.0.0:8080");
  EXPECT_EQ(canonical("127.0.0.1:1"), "127.0.0.1:1");
  EXPECT_EQ(canonical("10.1.2.3:65535"), "10.1.2.3:65535");
  EXPECT_EQ(canonical("[::1]:8080"), "[::1]:8080");
  EXPECT_EQ(canonical("[::]:80"), "[::]:80");
}

TEST(HostPortTest, Canonicalizes) {
  EXPECT_EQ(canonical("[0:0:0:0:0:0:0:1]:80"), "[::1]:80");
  EXPECT_EQ(canonical("[2001:DB8::A]:80"), "[2001:db8::a]:80");
  EXPECT_EQ(canonical("127.0.0.1:0080"), "127.0.0.1:80");
}

TEST(HostPortTest, RefusesNamesAndMalformedHosts) {
  EXPECT_EQ(failure("localhost:80"),
            "invalid address 'localhost:80': the host must be a numeric IPv4 address (names are "
            "not resolved)");
  EXPECT_NE(failure("1.2.3:80").find("numeric IPv4"), std::string::npos);
  EXPECT_NE(failure("256.1.1.1:80").find("numeric IPv4"), std::string::npos);
  EXPECT_NE(failure(":80").find("numeric IPv4"), std::string::npos);
  EXPECT_NE(failure("[::g]:80").find("not a valid IPv6 address"), std::string::npos);
  EXPECT_NE(failure("[]:80").find("not a valid IPv6 address"), std::string::npos);
  EXPECT_NE(failure("[fe80::1%eth0]:80").find("not a valid IPv6 address"), std::string::npos);
}

TEST(HostPortTest, RequiresPort) {
  EXPECT_EQ(failure("127.0.0.1"),
            "invalid address '127.0.0.1': a port is required, e.g. \"127.0.0.1:8080\"");
  EXPECT_NE(failure("[::1]").find("a port is required"), std::string::npos);
  EXPECT_NE(failure("[::1]8080").find("a port is required"), std::string::npos);
  EXPECT_NE(failure("").find("a port is required"), std::string::npos);
}

TEST(HostPortTest, PortRange) {
  EXPECT_EQ(failure("127.0.0.1:0"),
            "invalid address '127.0.0.1:0': the port must be a number from 1 to 65535");
  EXPECT_NE(failure("127.0.0.1:65536").find("1 to 65535"), std::string::npos);
  EXPECT_NE(failure("127.0.0.1:").find("1 to 65535"), std::string::npos);
  EXPECT_NE(failure("127.0.0.1:-1").find("1 to 65535"), std::string::npos);
  EXPECT_NE(failure("127.0.0.1:http").find("1 to 65535"), std::string::npos);
  EXPECT_NE(failure("127.0.0.1:80x").find("1 to 65535"), std::string::npos);
}

TEST(HostPortTest, Ipv6NeedsBrackets) {
  EXPECT_EQ(failure("::1:8080"),
            "invalid address '::1:8080': an IPv6 address must be in brackets, e.g. \"[::1]:8080\"");
  EXPECT_NE(failure("[::1:8080").find("missing ']'"), std::string::npos);
}

}  // namespace
}  // namespace tidegate::config
