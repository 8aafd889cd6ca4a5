#pragma once
// How the built-in policies write numbers into their decision reasons: "%g" (0.7, 12, 1e+06),
// short enough for a log line and the same in every policy.

#include <cstdio>
#include <string>

namespace tidegate::scale {

inline std::string numberText(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace tidegate::scale
