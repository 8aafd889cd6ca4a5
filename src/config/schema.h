#pragma once
// The configuration as plain structs: what `tidegate.yaml` says after validation. No logic
// beyond defaults; loader.h fills them, server/ turns them into a Snapshot.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/scale_schema.h"
#include "config/scrape_schema.h"
#include "config/source_mark.h"

namespace tidegate::config {

struct Timeouts {
  int64_t connect_ms = 2000;             // upstream TCP connect
  int64_t request_header_ms = 10000;     // client must send a whole request head (408)
  int64_t upstream_response_ms = 30000;  // from request sent to response head (504)
  int64_t client_idle_ms = 60000;        // idle client keep-alive connection
  int64_t upstream_idle_ms = 4000;       // idle pooled upstream connection (keep below backend's)
  int64_t drain_ms = 30000;              // SIGTERM: wait for in-flight requests at most this
};

struct Limits {
  uint64_t max_head_bytes = 16 * 1024;
  uint64_t max_request_line = 8 * 1024;
  uint32_t max_headers = 100;
  uint64_t max_body_bytes = 1024ull * 1024 * 1024;  // default route body limit (413)
};

enum class Balance : uint8_t { kRoundRobin, kLeastRequest, kEwma, kConsistentHash };
enum class HashBy : uint8_t { kClientIp, kHeader, kCookie };

struct BackendConfig {
  std::string address;  // "127.0.0.1:9001" / "[::1]:9001", validated as numeric
  uint32_t weight = 1;  // 1..1000
  SourceMark mark;
};

struct UpstreamConfig {
  std::string name;
  std::vector<BackendConfig> backends;  // may be empty only when a later feature fills it
  Balance balance = Balance::kRoundRobin;
  HashBy hash_by = HashBy::kClientIp;  // consistent_hash only
  std::string hash_name;               // header or cookie name (lower-cased for headers)
  uint32_t keepalive_max_idle = 64;    // idle upstream connections kept per worker per backend
  // A response header in which backends report their load (e.g. "x-backend-load: 0.73"),
  // lower case; empty: none. Kept per backend as the gauge tidegate_upstream_backend_load and
  // the Lua backend metric "load".
  std::string load_header;
  std::optional<ScaleConfig> scale;  // autoscaled: the provider supplies the backends
  // Read each backend's own Prometheus endpoint now and then (server/backend_scraper.h).
  std::optional<ScrapeConfig> scrape;
  SourceMark mark;
};

struct HeaderMatch {
  std::string name;   // lower case
  std::string value;  // exact match; empty with `present` means "any value"
  bool present_only = false;
};

struct RouteMatch {
  // Exact "api.example.com" or wildcard "*.example.com" (lower case, no port).
  std::optional<std::string> host;
  std::optional<std::string> path;         // exact
  std::optional<std::string> path_prefix;  // prefix
  std::optional<std::string> path_regex;   // RE2, full match against the path
  std::vector<std::string> methods;        // empty: any
  std::vector<HeaderMatch> headers;        // all must match
};

// A route's Lua script: a file, or code inline in the YAML.
struct ScriptConfig {
  std::string file;  // path as written (relative to the working directory)
  std::string code;  // inline code; `file` empty
  SourceMark mark;
};

struct RouteConfig {
  std::string name;  // defaults to "route<N>" (0-based index)
  RouteMatch match;
  std::string upstream;
  std::optional<uint64_t> max_body_bytes;  // overrides limits.max_body_bytes
  std::optional<ScriptConfig> script;
  SourceMark mark;
};

// Settings of every Lua VM (one per worker, one for the control plane).
struct LuaConfig {
  uint64_t memory_limit_bytes = uint64_t{64} << 20;
  std::chrono::milliseconds time_limit{10};      // CPU time per hook call (lua/vm.h)
  std::string module_path;                       // where require() looks; empty: no require
  std::map<std::string, uint64_t> shared_dicts;  // tg.shared.<name>: capacity in bytes
  bool watch = false;                            // reload scripts when their files change
  std::string control_script;  // run on the control VM (tg.timer, tg.metrics.window); "": none
  SourceMark mark;
};

// The admin listener: GET /metrics and the admin API. Absent: none.
struct AdminConfig {
  std::string listen;  // "127.0.0.1:9901"
  SourceMark mark;
};

// JSON-lines access log, written by a background thread. Absent: off.
struct AccessLogConfig {
  std::string path;
  uint64_t buffer_bytes = 1 << 20;  // per worker; records past a full buffer are dropped
  SourceMark mark;
};

struct Config {
  std::string source_path;          // the file it was loaded from
  std::vector<std::string> listen;  // addresses, at least one
  uint32_t workers = 0;             // 0 = auto: one per core
  std::string log_level = "info";
  Timeouts timeouts;
  Limits limits;
  std::vector<UpstreamConfig> upstreams;  // in file order; names unique
  std::vector<RouteConfig> routes;        // in file order
  LuaConfig lua;
  // metrics: { enabled: false } stops recording request metrics (host metrics and the admin
  // listener stay); for measuring what recording costs.
  bool metrics_enabled = true;
  std::optional<AdminConfig> admin;
  std::optional<AccessLogConfig> access_log;
};

}  // namespace tidegate::config
