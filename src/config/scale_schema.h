#pragma once
// The `scale:` block of an upstream as plain structs: which provider runs the pool's
// instances, the bounds and pace of scaling, and the policy that decides. Parsed by
// config/scale_loader.cc; turned into a running autoscaler by server/.

#include <cstdint>
#include <string>

#include "config/source_mark.h"

namespace tidegate::config {

// The embedded default provider: local child processes started from a command template.
struct ProcessProviderConfig {
  // Run through /bin/sh -c after substituting {port} and {index}.
  std::string command;
  std::string host = "127.0.0.1";  // where instances listen; the pool connects here
  uint16_t port_min = 0;           // ports handed out from [port_min, port_max]
  uint16_t port_max = 0;
  std::string readiness_path = "/healthz";  // HTTP GET must answer 2xx before traffic
  int64_t readiness_interval_ms = 100;
  int64_t readiness_timeout_ms = 1000;  // per probe
  int64_t start_timeout_ms = 30000;     // not ready by then: killed and counted as a failure
  int64_t drain_timeout_ms = 30000;     // scale-down: wait this long for in-flight requests
  int64_t stop_grace_ms = 5000;         // SIGTERM -> SIGKILL
  int64_t restart_backoff_min_ms = 500;
  int64_t restart_backoff_max_ms = 30000;
  std::string log_dir;  // per-instance stdout/stderr files; empty: <tmp>/tidegate-<pool>
  SourceMark mark;
};

struct PolicyConfig {
  enum class Kind : uint8_t { kBuiltin, kFile, kInline };
  Kind kind = Kind::kBuiltin;
  std::string name;  // kBuiltin: target_tracking, step, threshold, concurrency
  std::string file;  // kFile: path of a Lua policy
  std::string code;  // kInline: Lua source
  // Parameters as a JSON object: a built-in's settings, or `ctx.params` of a Lua policy.
  std::string params_json = "{}";
  SourceMark mark;
};

struct ScaleConfig {
  std::string provider = "process";
  uint32_t min = 1;
  uint32_t max = 1;
  int64_t interval_ms = 1000;
  PolicyConfig policy;
  int64_t cooldown_up_ms = 0;
  int64_t cooldown_down_ms = 0;
  bool dry_run = false;
  ProcessProviderConfig process;
  SourceMark mark;
};

}  // namespace tidegate::config
