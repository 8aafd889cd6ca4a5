#pragma once
// Rounding replica counts computed in floating point: 0.2 / 0.1 * 3 is 6.000000000000001, and
// ceil() of that must be 6, as Kubernetes' milli-unit integer arithmetic gives. The Lua copies
// of the built-ins (examples/lua/policies/) round the same way.

#include <cmath>

namespace tidegate::scale {

inline constexpr double kCountEpsilon = 1e-9;

inline double ceilCount(double x) {
  return std::ceil(x - kCountEpsilon);
}
inline double floorCount(double x) {
  return std::floor(x + kCountEpsilon);
}
// Towards zero.
inline double truncCount(double x) {
  return x < 0 ? -floorCount(-x) : floorCount(x);
}

}  // namespace tidegate::scale
