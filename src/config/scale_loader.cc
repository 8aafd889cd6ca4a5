#include "config/scale_loader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <span>
#include <string_view>

#include "config/units.h"
#include "config/yaml_fields.h"

namespace tidegate::config {
namespace {

constexpr std::string_view kScaleKeys[] = {"provider", "min",     "max",    "interval",
                                           "cooldown", "dry_run", "policy", "process"};
constexpr std::string_view kCooldownKeys[] = {"up", "down"};
constexpr std::string_view kProcessKeys[] = {"command",    "ports",           "host",
                                             "readiness",  "start_timeout",   "drain_timeout",
                                             "stop_grace", "restart_backoff", "log_dir"};
constexpr std::string_view kReadinessKeys[] = {"path", "interval", "timeout"};
constexpr std::string_view kBackoffKeys[] = {"min", "max"};
constexpr std::string_view kBuiltinPolicies[] = {"target_tracking", "step", "threshold",
                                                 "concurrency"};
constexpr int64_t kMaxReplicas = 1000;

// The scale block's own keys, read with the loader's field reader.
class ScaleParser : public YamlFields {
 public:
  ScaleParser(const std::string& file, const ScaleErrorFn& report) : YamlFields(file, report) {}

  void parseScale(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                  ScaleConfig& scale);
  void parsePolicy(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                   PolicyConfig& policy);
  void parseProcess(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                    ProcessProviderConfig& process);
  void parsePorts(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                  ProcessProviderConfig& process);
  std::optional<nlohmann::json> toJson(const YAML::Node& node, const std::string& where);
};

void ScaleParser::parseScale(const YAML::Node& value, const YAML::Node& key,
                             const std::string& where, ScaleConfig& scale) {
  scale.mark = markOf(key);
  if (!expectMap(value, key, where)) return;
  std::optional<YAML::Node> max_key;
  std::optional<YAML::Node> process_key;
  bool has_policy = false;
  bool has_process = false;
  forEachKey(
      value, where, kScaleKeys,
      [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
        const std::string field = where + "." + std::string(name);
        if (name == "provider") {
          std::optional<std::string> text = scalar(v, k, field);
          if (!text) return;
          if (*text != "process") {
            error(v, k,
                  field + ": expected 'process' (the only provider so far), got '" + *text + "'");
            return;
          }
          scale.provider = *text;
        } else if (name == "min") {
          // Scale to zero is refused: nothing would hold requests while an instance starts.
          if (auto n = integer(v, k, field, 1, kMaxReplicas)) scale.min = uint32_t(*n);
        } else if (name == "max") {
          max_key.emplace(k);
          if (auto n = integer(v, k, field, 1, kMaxReplicas)) scale.max = uint32_t(*n);
        } else if (name == "interval") {
          if (auto ms = duration(v, k, field, true)) scale.interval_ms = *ms;
        } else if (name == "cooldown") {
          if (!expectMap(v, k, field)) return;
          forEachKey(v, field, kCooldownKeys,
                     [&](std::string_view dir, const YAML::Node& k2, const YAML::Node& v2) {
                       auto ms = duration(v2, k2, field + "." + std::string(dir), false);
                       if (!ms) return;
                       (dir == "up" ? scale.cooldown_up_ms : scale.cooldown_down_ms) = *ms;
                     });
        } else if (name == "dry_run") {
          if (auto b = boolean(v, k, field)) scale.dry_run = *b;
        } else if (name == "policy") {
          has_policy = true;
          parsePolicy(v, k, field, scale.policy);
        } else if (name == "process") {
          has_process = true;
          process_key.emplace(k);
          parseProcess(v, k, field, scale.process);
        }
      });
  if (!max_key) {
    error(key.Mark(), where + ": 'max' is required (the most instances the pool may run)");
  } else if (scale.max < scale.min) {
    error(max_key->Mark(), where + ": max (" + std::to_string(scale.max) +
                               ") must be at least min (" + std::to_string(scale.min) + ")");
  }
  if (!has_policy) {
    error(key.Mark(), where + ": 'policy' is required (a built-in name, file or lua)");
  }
  if (scale.provider == "process") {
    if (!has_process) {
      error(key.Mark(), where + ": 'process' is required with provider: process");
    } else if (scale.process.port_max != 0 && max_key) {
      const uint32_t ports = uint32_t(scale.process.port_max - scale.process.port_min) + 1;
      if (ports < scale.max) {
        error(process_key->Mark(), where + ".process.ports: " + std::to_string(ports) +
                                       " port(s) for up to " + std::to_string(scale.max) +
                                       " instances (max); widen the range");
      }
    }
  }
}

void ScaleParser::parsePolicy(const YAML::Node& value, const YAML::Node& key,
                              const std::string& where, PolicyConfig& policy) {
  policy.mark = markOf(value.IsNull() ? key : value);
  if (value.IsScalar()) {
    // Shorthand: "concurrency" (a built-in with its defaults) or "path/to/policy.lua".
    const std::string& text = value.Scalar();
    if (text.ends_with(".lua")) {
      policy.kind = PolicyConfig::Kind::kFile;
      policy.file = text;
    } else if (containsKey(kBuiltinPolicies, text)) {
      policy.kind = PolicyConfig::Kind::kBuiltin;
      policy.name = text;
    } else {
      error(value, key,
            where + ": unknown policy '" + text + "' (built-ins: " + joinKeys(kBuiltinPolicies) +
                "; or a .lua file)");
    }
    return;
  }
  if (!expectMap(value, key, where)) return;
  // Exactly one of builtin / file / lua says what the policy is; for a built-in every other
  // key is one of its parameters, for Lua they go in `params` (ctx.params).
  std::vector<std::pair<YAML::Node, YAML::Node>> kinds;
  for (const auto& entry : value) {
    if (!entry.first.IsScalar()) {
      error(entry.first.Mark(),
            where + ": keys must be plain strings, got " + describeNode(entry.first));
      return;
    }
    const std::string& name = entry.first.Scalar();
    if (name == "builtin" || name == "file" || name == "lua")
      kinds.emplace_back(entry.first, entry.second);
  }
  if (kinds.empty()) {
    error(value.Mark(), where + ": one of 'builtin', 'file' or 'lua' is required");
    return;
  }
  if (kinds.size() > 1) {
    error(kinds[1].first.Mark(), where + ": '" + kinds[1].first.Scalar() + "' conflicts with '" +
                                     kinds[0].first.Scalar() + "' (use one of builtin, file, lua)");
    return;
  }
  const YAML::Node& kind_key = kinds[0].first;
  const YAML::Node& kind_value = kinds[0].second;
  const std::string field = where + "." + kind_key.Scalar();
  std::optional<std::string> text = nonEmpty(kind_value, kind_key, field);
  if (!text) return;
  nlohmann::json params = nlohmann::json::object();
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : value) {
    const std::string& name = entry.first.Scalar();
    if (name == kind_key.Scalar()) continue;
    auto [it, inserted] = seen.emplace(name, entry.first.Mark());
    if (!inserted) {
      error(entry.first.Mark(),
            where + ": duplicate key '" + name + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    if (kind_key.Scalar() == "builtin") {
      if (auto j = toJson(entry.second, where + "." + name)) params[name] = std::move(*j);
    } else if (name != "params") {
      error(entry.first.Mark(), where + ": unknown key '" + name +
                                    "' (allowed with a Lua policy: " + kind_key.Scalar() +
                                    ", params)");
    } else if (!entry.second.IsMap()) {
      error(entry.second, entry.first,
            where + ".params: expected a mapping, got " + describeNode(entry.second));
    } else if (auto j = toJson(entry.second, where + ".params")) {
      params = std::move(*j);
    }
  }
  policy.params_json = params.dump();
  if (kind_key.Scalar() == "builtin") {
    if (!containsKey(kBuiltinPolicies, *text)) {
      error(
          kind_value, kind_key,
          field + ": unknown built-in policy '" + *text + "' (" + joinKeys(kBuiltinPolicies) + ")");
      return;
    }
    policy.kind = PolicyConfig::Kind::kBuiltin;
    policy.name = *text;
  } else if (kind_key.Scalar() == "file") {
    policy.kind = PolicyConfig::Kind::kFile;
    policy.file = *text;
  } else {
    policy.kind = PolicyConfig::Kind::kInline;
    policy.code = *text;
  }
}

void ScaleParser::parseProcess(const YAML::Node& value, const YAML::Node& key,
                               const std::string& where, ProcessProviderConfig& process) {
  process.mark = markOf(key);
  if (!expectMap(value, key, where)) return;
  bool has_command = false;
  bool has_ports = false;
  std::optional<YAML::Mark> backoff_mark;
  forEachKey(value, where, kProcessKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               const std::string field = where + "." + std::string(name);
               if (name == "command") {
                 has_command = true;
                 std::optional<std::string> text = nonEmpty(v, k, field);
                 if (!text) return;
                 if (text->find("{port}") == std::string::npos) {
                   error(v, k,
                         field + ": the command must contain {port} (where the instance listens)");
                   return;
                 }
                 process.command = *text;
               } else if (name == "ports") {
                 has_ports = true;
                 parsePorts(v, k, field, process);
               } else if (name == "host") {
                 if (auto text = nonEmpty(v, k, field)) process.host = *text;
               } else if (name == "readiness") {
                 if (!expectMap(v, k, field)) return;
                 forEachKey(v, field, kReadinessKeys,
                            [&](std::string_view r, const YAML::Node& k2, const YAML::Node& v2) {
                              const std::string rf = field + "." + std::string(r);
                              if (r == "path") {
                                std::optional<std::string> path = nonEmpty(v2, k2, rf);
                                if (!path) return;
                                if (path->front() != '/') {
                                  error(v2, k2, rf + ": must start with '/'");
                                  return;
                                }
                                process.readiness_path = *path;
                              } else if (auto ms = duration(v2, k2, rf, true)) {
                                (r == "interval" ? process.readiness_interval_ms
                                                 : process.readiness_timeout_ms) = *ms;
                              }
                            });
               } else if (name == "start_timeout") {
                 if (auto ms = duration(v, k, field, true)) process.start_timeout_ms = *ms;
               } else if (name == "drain_timeout") {
                 if (auto ms = duration(v, k, field, true)) process.drain_timeout_ms = *ms;
               } else if (name == "stop_grace") {
                 if (auto ms = duration(v, k, field, true)) process.stop_grace_ms = *ms;
               } else if (name == "restart_backoff") {
                 if (!expectMap(v, k, field)) return;
                 backoff_mark = k.Mark();
                 forEachKey(v, field, kBackoffKeys,
                            [&](std::string_view b, const YAML::Node& k2, const YAML::Node& v2) {
                              auto ms = duration(v2, k2, field + "." + std::string(b), true);
                              if (!ms) return;
                              (b == "min" ? process.restart_backoff_min_ms
                                          : process.restart_backoff_max_ms) = *ms;
                            });
               } else if (name == "log_dir") {
                 if (auto text = nonEmpty(v, k, field)) process.log_dir = *text;
               }
             });
  if (!has_command) error(key.Mark(), where + ": 'command' is required");
  if (!has_ports) error(key.Mark(), where + ": 'ports' is required (e.g. 9100-9199)");
  if (backoff_mark && process.restart_backoff_max_ms < process.restart_backoff_min_ms) {
    error(*backoff_mark, where + ".restart_backoff: max must be at least min");
  }
}

void ScaleParser::parsePorts(const YAML::Node& value, const YAML::Node& key,
                             const std::string& where, ProcessProviderConfig& process) {
  std::optional<std::string> text = scalar(value, key, where);
  if (!text) return;
  auto port = [](std::string_view s) -> std::optional<uint16_t> {
    unsigned n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || n < 1 || n > 65535) {
      return std::nullopt;
    }
    return uint16_t(n);
  };
  const std::string_view s = *text;
  const size_t dash = s.find('-');
  std::optional<uint16_t> lo = port(s.substr(0, dash));
  std::optional<uint16_t> hi = dash == std::string_view::npos ? lo : port(s.substr(dash + 1));
  if (!lo || !hi || *hi < *lo) {
    error(value, key,
          where + ": expected a port range such as 9100-9199 (ports 1..65535, low to high), got '" +
              *text + "'");
    return;
  }
  process.port_min = *lo;
  process.port_max = *hi;
}

std::optional<nlohmann::json> ScaleParser::toJson(const YAML::Node& node,
                                                  const std::string& where) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return nlohmann::json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return nlohmann::json(s);  // quoted: always a string
      if (s == "true") return nlohmann::json(true);
      if (s == "false") return nlohmann::json(false);
      if (s == "null" || s == "~") return nlohmann::json(nullptr);
      int64_t i = 0;
      auto [iptr, iec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (!s.empty() && iec == std::errc() && iptr == s.data() + s.size()) return nlohmann::json(i);
      double d = 0;
      auto [dptr, dec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (!s.empty() && dec == std::errc() && dptr == s.data() + s.size() && std::isfinite(d)) {
        return nlohmann::json(d);
      }
      return nlohmann::json(s);
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      size_t i = 0;
      for (const auto& item : node) {
        auto j = toJson(item, where + "[" + std::to_string(i++) + "]");
        if (!j) return std::nullopt;
        out.push_back(std::move(*j));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          error(entry.first.Mark(),
                where + ": keys must be plain strings, got " + describeNode(entry.first));
          return std::nullopt;
        }
        auto j = toJson(entry.second, where + "." + entry.first.Scalar());
        if (!j) return std::nullopt;
        out[entry.first.Scalar()] = std::move(*j);
      }
      return out;
    }
    default:
      error(node.Mark(), where + ": undefined value");
      return std::nullopt;
  }
}

}  // namespace

std::optional<ScaleConfig> parseScaleBlock(const YAML::Node& value, const YAML::Node& key,
                                           const std::string& where, const std::string& file,
                                           const ScaleErrorFn& report) {
  ScaleParser parser(file, report);
  ScaleConfig scale;
  parser.parseScale(value, key, where, scale);
  if (parser.failed()) return std::nullopt;
  return scale;
}

std::optional<std::string> yamlToJson(const YAML::Node& node, const std::string& where,
                                      const ScaleErrorFn& report) {
  static const std::string kNoFile;
  ScaleParser parser(kNoFile, report);
  auto j = parser.toJson(node, where);
  if (!j) return std::nullopt;
  return j->dump();
}

}  // namespace tidegate::config
