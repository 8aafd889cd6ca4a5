#pragma once
// Helpers shared by the http tests: field-by-field comparison of parsed heads, so a test can
// check that two parses (whole vs. incremental, fresh vs. reused head) agree exactly.

#include <gtest/gtest.h>

#include <cctype>

#include <string>
#include <string_view>

#include "http/message_head.h"

namespace tidegate::http::testing {

inline void expectSameHeaders(const HeaderList& a, const HeaderList& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << "header " << i;
    EXPECT_EQ(a[i].value, b[i].value) << "header " << i;
  }
}

inline void expectSameHead(const RequestHead& a, const RequestHead& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.method_text, b.method_text);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.target_form, b.target_form);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.query, b.query);
  EXPECT_EQ(a.authority, b.authority);
  EXPECT_EQ(a.version_minor, b.version_minor);
  EXPECT_EQ(a.framing, b.framing);
  EXPECT_EQ(a.content_length, b.content_length);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
  EXPECT_EQ(a.expect_continue, b.expect_continue);
  EXPECT_EQ(a.has_connection_tokens, b.has_connection_tokens);
  expectSameHeaders(a.headers, b.headers);
}

inline void expectSameHead(const ResponseHead& a, const ResponseHead& b) {
  EXPECT_EQ(a.version_minor, b.version_minor);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.framing, b.framing);
  EXPECT_EQ(a.content_length, b.content_length);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
  EXPECT_EQ(a.has_connection_tokens, b.has_connection_tokens);
  expectSameHeaders(a.headers, b.headers);
}

// True when `view` lies inside `buf` (zero-copy: every view points into the parsed bytes).
inline bool inside(std::string_view view, std::string_view buf) {
  return view.empty() ||
         (view.data() >= buf.data() && view.data() + view.size() <= buf.data() + buf.size());
}

// gtest parameter names allow only [A-Za-z0-9_].
inline std::string sanitizeName(std::string_view name) {
  std::string out;
  for (char c : name)
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

}  // namespace tidegate::http::testing
