#include "echo/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <string>

namespace tidegate::echo {
namespace {

template <typename T>
bool parseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool parseRate(std::string_view text, double& out) {
  return parseNumber(text, out) && out >= 0.0 && out <= 1.0;
}

// "\n", "\r", "\t" and "\\" in --body, so `--body 'hello\n'` works without shell quoting.
std::string unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    char c = text[++i];
    out.push_back(c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
  }
  return out;
}

}  // namespace

std::optional<int64_t> parseDurationNs(std::string_view text) {
  size_t unit_at = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, unit_at);
  std::string_view unit = unit_at == std::string_view::npos ? "" : text.substr(unit_at);
  double value = 0;
  if (!parseNumber(number, value) || value < 0) return std::nullopt;
  double scale;
  if (unit.empty() || unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ns") {
    scale = 1;
  } else {
    return std::nullopt;
  }
  double ns = value * scale;
  if (ns > 1e17) return std::nullopt;  // about three years: surely a typo
  return int64_t(std::llround(ns));
}

ParseOutcome parseOptions(int argc, char** argv, Options& out, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return ParseOutcome::kHelp;
    if (arg.substr(0, 2) != "--") {
      error = "unexpected argument '" + std::string(arg) + "'";
      return ParseOutcome::kError;
    }
    std::string_view name = arg.substr(2);
    std::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "chunked") {
      out.chunked = true;
      continue;
    }
    static constexpr std::string_view kValueFlags[] = {
        "port",         "host",     "threads", "id",        "body",        "body-size",
        "latency",      "cpu",      "slots",   "fail-rate", "fail-status", "close-rate",
        "idle-timeout", "max-body", "seed",    "metrics"};
    if (std::find(std::begin(kValueFlags), std::end(kValueFlags), name) == std::end(kValueFlags)) {
      error = "unknown flag --" + std::string(name) + " (see --help)";
      return ParseOutcome::kError;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        error = "--" + std::string(name) + " needs a value";
        return ParseOutcome::kError;
      }
      value = argv[++i];
    }
    bool ok = true;
    if (name == "port") {
      ok = parseNumber(value, out.port);
      out.port_set = ok;
    } else if (name == "host") {
      out.host = std::string(value);
    } else if (name == "threads") {
      ok = parseNumber(value, out.threads) && out.threads >= 1 && out.threads <= 256;
    } else if (name == "id") {
      ok = !value.empty() && value.find_first_of("\r\n") == std::string_view::npos;
      out.id = std::string(value);
    } else if (name == "body") {
      out.body = unescape(value);
    } else if (name == "body-size") {
      size_t size = 0;
      ok = parseNumber(value, size) && size <= (size_t(1) << 30);
      if (ok) out.body.assign(size, 'x');
    } else if (name == "latency" || name == "cpu" || name == "idle-timeout") {
      auto ns = parseDurationNs(value);
      ok = ns.has_value();
      if (ok && name == "latency") out.latency_ns = *ns;
      if (ok && name == "cpu") out.cpu_ns = *ns;
      if (ok && name == "idle-timeout") out.idle_timeout_ns = *ns;
    } else if (name == "slots") {
      ok = parseNumber(value, out.slots) && out.slots >= 0;
    } else if (name == "fail-rate") {
      ok = parseRate(value, out.fail_rate);
    } else if (name == "fail-status") {
      ok = parseNumber(value, out.fail_status) && out.fail_status >= 200 && out.fail_status <= 599;
    } else if (name == "close-rate") {
      ok = parseRate(value, out.close_rate);
    } else if (name == "max-body") {
      ok = parseNumber(value, out.max_body);
    } else if (name == "seed") {
      ok = parseNumber(value, out.seed);
    } else if (name == "metrics") {
      // A path of its own: the query parameters of a request to it still apply.
      ok = value.size() > 1 && value[0] == '/' &&
           value.find_first_of("?# \t\r\n") == std::string_view::npos;
      out.metrics_path = std::string(value);
    }
    if (!ok) {
      error = "bad value '" + std::string(value) + "' for --" + std::string(name);
      return ParseOutcome::kError;
    }
  }
  if (!out.port_set) {
    error = "--port is required (0 lets the kernel pick one)";
    return ParseOutcome::kError;
  }
  return ParseOutcome::kRun;
}

const char* helpText() {
  return R"(tidegate-echo: a small, fast HTTP/1.1 test backend.

usage: tidegate-echo --port N [flags]

  --port N            port to listen on (required; 0 = any free port)
  --host ADDR         numeric address to bind (default 127.0.0.1; "::1" for IPv6)
  --threads N         worker threads, each with its own epoll and SO_REUSEPORT listener
                      (default 1)
  --id NAME           value of the X-Backend-Id header on every response
                      (default "echo:<port>")
  --body TEXT         body of ordinary responses (default "ok\n"; \n \r \t \\ are escapes)
  --body-size N       body of N bytes of 'x' instead of --body
  --chunked           send bodies chunked instead of with Content-Length (HTTP/1.1 clients)
  --latency DUR       delay before each response, on a timer (e.g. 20ms; default 0)
  --cpu DUR           busy-loop this long per request (e.g. 200us; default 0)
  --slots N           at most N requests in service (cpu + latency) at once across the
                      process; the rest wait in FIFO order (default 0 = no limit)
  --fail-rate P       answer this fraction of requests with --fail-status (0..1)
  --fail-status CODE  status of injected failures (default 503)
  --close-rate P      this fraction of responses is cut off: the head and half the body
                      are sent, then the connection is closed (0..1)
  --idle-timeout DUR  close keep-alive connections idle this long (default 60s)
  --max-body BYTES    largest request body accepted, else 413 (default 16777216)
  --seed N            seed for --fail-rate / --close-rate draws (default: from the clock)
  --metrics PATH      serve the echo's own counters at PATH in the Prometheus text format
                      (echo_inflight, echo_requests_total); exempt like /healthz
  --help              this text

Durations take ns, us, ms or s; a bare number is milliseconds.

Paths (matched on the path's end, so /api/echo works behind a prefix route):
  /echo               body = the request head as received, then the decoded body
  /healthz            200 "ok\n"; exempt from --latency, --cpu, --slots and injection
  --metrics PATH      the counters (exempt the same way; neither is counted)
  /status/NNN         answers status NNN (200..599)
  anything else       200 with --body

Per-request query parameters override flags:
  ?latency=50ms  ?cpu=1ms  ?status=503  ?size=N (body of N 'x')
  ?close=before  close without a response    ?close=mid  head and half the body, then close

Prints "listening on HOST:PORT" once every listener is ready; SIGTERM/SIGINT exit cleanly.
)";
}

}  // namespace tidegate::echo
