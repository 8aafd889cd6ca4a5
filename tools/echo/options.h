#pragma once
// Command-line options of tidegate-echo, the project's test backend. Parsed once in main
// and then read-only, shared by every worker thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidegate::echo {

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the kernel picks one (printed on the "listening on" line)
  bool port_set = false;
  int threads = 1;
  std::string id;  // X-Backend-Id; "echo:<port>" when empty
  std::string body = "ok\n";
  bool chunked = false;
  int64_t latency_ns = 0;
  int64_t cpu_ns = 0;
  int slots = 0;  // 0: no limit on requests in service
  double fail_rate = 0.0;
  int fail_status = 503;
  double close_rate = 0.0;
  int64_t idle_timeout_ns = 60'000'000'000;
  uint64_t max_body = 16 << 20;
  uint64_t seed = 0;         // 0: seeded from the clock
  std::string metrics_path;  // --metrics: Prometheus text of the echo's own counters; "": off
};

enum class ParseOutcome { kRun, kHelp, kError };

// Fills `out` from argv ("--flag value" or "--flag=value"); on kError `error` says why.
ParseOutcome parseOptions(int argc, char** argv, Options& out, std::string& error);

// "20ms", "200us", "1.5s", "500ns"; a bare number is milliseconds. nullopt when malformed
// or negative.
std::optional<int64_t> parseDurationNs(std::string_view text);

// The --help text.
const char* helpText();

}  // namespace tidegate::echo
