#pragma once
// LiveCounters: the echo's own numbers for --metrics, process-wide across worker threads
// (relaxed atomics: each is an independent count, read now and then by a scrape). Requests to
// /healthz and to the metrics path are not counted, so that being probed or scraped does not
// change the figures.

#include <atomic>
#include <cstdint>
#include <string>

namespace tidegate::echo {

struct LiveCounters {
  std::atomic<int64_t> inflight{0};         // requests received whole and not yet answered
  std::atomic<uint64_t> requests_total{0};  // requests answered (a response was written)
};

// Appends the Prometheus text exposition (format 0.0.4) of `counters`: echo_inflight and
// echo_requests_total with their HELP and TYPE lines.
void appendMetricsPage(std::string& out, const LiveCounters& counters);

}  // namespace tidegate::echo
