#pragma once
// The config tests' one way to read what a user sees for a bad file: every diagnostic as
// "t.yaml:line:col: message", and no config returned.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace tidegate::config::testing {

inline std::vector<std::string> errorsOf(std::string_view yaml) {
  LoadResult r = loadConfigString(yaml, "t.yaml");
  EXPECT_FALSE(r.config.has_value()) << "a config with errors must not be returned";
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors)
    out.push_back(d.toString());
  return out;
}

}  // namespace tidegate::config::testing
