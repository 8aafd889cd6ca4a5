#include "echo/live_counters.h"

#include <charconv>

namespace tidegate::echo {
namespace {

template <typename T>
void appendNumber(std::string& out, T value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

void appendMetricsPage(std::string& out, const LiveCounters& counters) {
  out.append(
      "# HELP echo_inflight Requests received and not yet answered.\n"
      "# TYPE echo_inflight gauge\n"
      "echo_inflight ");
  appendNumber(out, counters.inflight.load(std::memory_order_relaxed));
  out.append(
      "\n# HELP echo_requests_total Requests answered (health checks and scrapes excluded).\n"
      "# TYPE echo_requests_total counter\n"
      "echo_requests_total ");
  appendNumber(out, counters.requests_total.load(std::memory_order_relaxed));
  out.push_back('\n');
}

}  // namespace tidegate::echo
