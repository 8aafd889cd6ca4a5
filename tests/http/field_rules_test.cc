#include "http/field_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tidegate::http {
namespace {

TEST(FieldRulesTest, ClassifyField) {
  EXPECT_EQ(classifyField("HOST"), KnownField::kHost);
  EXPECT_EQ(classifyField("content-LENGTH"), KnownField::kContentLength);
  EXPECT_EQ(classifyField("Transfer-Encoding"), KnownField::kTransferEncoding);
  EXPECT_EQ(classifyField("connection"), KnownField::kConnection);
  EXPECT_EQ(classifyField("Expect"), KnownField::kExpect);
  EXPECT_EQ(classifyField("Hosts"), KnownField::kOther);
  EXPECT_EQ(classifyField("Content-Lengt"), KnownField::kOther);
  EXPECT_EQ(classifyField("Content_Length"), KnownField::kOther);
}

TEST(FieldRulesTest, ContentLength) {
  uint64_t n = 99;
  EXPECT_TRUE(parseContentLength("0", n));
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(parseContentLength("9223372036854775807", n));
  EXPECT_EQ(n, 9223372036854775807u);
  for (const char* bad :
       {"", " 1", "1 ", "9223372036854775808", "18446744073709551616", "1,1", "1e3", "\xd9\xa1"}) {
    EXPECT_FALSE(parseContentLength(bad, n)) << bad;
  }
}

TEST(FieldRulesTest, HostPort) {
  EXPECT_TRUE(isValidHostPort("a", false));
  EXPECT_TRUE(isValidHostPort("a:1", true));
  EXPECT_FALSE(isValidHostPort("a", true));
  EXPECT_TRUE(isValidHostPort("[::]:1", true));
  EXPECT_TRUE(isValidHostPort("[1:2:3:4:5:6:7:8]", false));
  EXPECT_TRUE(isValidHostPort("[1:2:3:4:5:6:1.2.3.4]", false));
  EXPECT_FALSE(isValidHostPort("[1:2:3:4:5:6:7:1.2.3.4]", false));
  EXPECT_FALSE(isValidHostPort("[1:2:3:4:5:6:7]", false));
  EXPECT_TRUE(isValidHostPort("[1::]", false));
  EXPECT_FALSE(isValidHostPort("[1:]", false));
  EXPECT_FALSE(isValidHostPort("[:1]", false));
  EXPECT_FALSE(isValidHostPort("[12345::1]", false));
  EXPECT_FALSE(isValidHostPort("[::1.2.3.256]", false));
  EXPECT_FALSE(isValidHostPort("[::1.2.3.04]", false));
  EXPECT_FALSE(isValidHostPort("[]", false));
  EXPECT_FALSE(isValidHostPort("[v1.]", false));
  EXPECT_TRUE(isValidHostPort("[v7.a:b]", false));
  EXPECT_TRUE(isValidHostPort("h:65535", true));
  EXPECT_FALSE(isValidHostPort("h:65536", true));
  EXPECT_FALSE(isValidHostPort("h:-1", true));
  EXPECT_FALSE(isValidHostPort("%4", false));
  EXPECT_TRUE(isValidHostPort("%41", false));
}

TEST(FieldRulesTest, ListElements) {
  std::vector<std::string> seen;
  EXPECT_TRUE(forEachListElement(" a ,\tb,, c\t", [&](std::string_view e) {
    seen.emplace_back(e);
    return true;
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "", "c"}));
  int calls = 0;
  EXPECT_FALSE(forEachListElement("a,b,c", [&](std::string_view) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(FieldRulesTest, TransferCodingsAccumulateAcrossLines) {
  TransferCodings te;
  std::string_view error;
  ASSERT_TRUE(te.add("gzip", error));
  EXPECT_FALSE(te.last_is_chunked);
  ASSERT_TRUE(te.add("Chunked", error));
  EXPECT_TRUE(te.present);
  EXPECT_TRUE(te.last_is_chunked);
  EXPECT_TRUE(te.has_other);
  EXPECT_EQ(te.chunked_count, 1);
  EXPECT_FALSE(te.add("chunked,,", error));
  EXPECT_FALSE(error.empty());
}

TEST(FieldRulesTest, ConnectionOptions) {
  ConnectionOptions c;
  EXPECT_TRUE(c.add("Keep-Alive, , Upgrade"));
  EXPECT_TRUE(c.keep_alive);
  EXPECT_TRUE(c.other);
  EXPECT_FALSE(c.close);
  EXPECT_FALSE(c.add("close x"));
}

}  // namespace
}  // namespace tidegate::http
