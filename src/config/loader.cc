#include "config/loader.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <sstream>
#include <system_error>

#include "config/host_port.h"
#include "config/scale_loader.h"
#include "config/scrape_loader.h"
#include "config/units.h"
#include "config/yaml_fields.h"

namespace tidegate::config {

std::string Diagnostic::toString() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {

constexpr std::string_view kRootKeys[] = {"listen", "workers",    "log_level", "timeouts",
                                          "limits", "upstreams",  "routes",    "lua",
                                          "admin",  "access_log", "metrics"};
constexpr std::string_view kMetricsKeys[] = {"enabled"};
constexpr std::string_view kLuaKeys[] = {"memory_limit", "time_limit", "module_path",
                                         "shared_dicts", "watch",      "control"};
constexpr std::string_view kAdminKeys[] = {"listen"};
constexpr std::string_view kAccessLogKeys[] = {"path", "buffer"};
constexpr std::string_view kScriptKeys[] = {"file", "inline"};
constexpr std::string_view kTimeoutKeys[] = {"connect",     "request_header", "upstream_response",
                                             "client_idle", "upstream_idle",  "drain"};
constexpr std::string_view kLimitKeys[] = {"max_head_bytes", "max_request_line", "max_headers",
                                           "max_body_bytes"};
constexpr std::string_view kUpstreamKeys[] = {"backends", "balance",     "hash",  "keepalive",
                                              "scale",    "load_header", "scrape"};
constexpr std::string_view kBackendKeys[] = {"address", "weight"};
constexpr std::string_view kHashKeys[] = {"by", "name"};
constexpr std::string_view kKeepaliveKeys[] = {"max_idle"};
constexpr std::string_view kRouteKeys[] = {"name", "match", "upstream", "max_body", "script"};
constexpr std::string_view kMatchKeys[] = {"host",       "path",    "path_prefix",
                                           "path_regex", "methods", "headers"};

constexpr int64_t kMaxWorkers = 256;
constexpr int64_t kMaxWeight = 1000;
// http::HeaderList holds at most 128 fields (config cannot include http/, so it is repeated).
constexpr int64_t kMaxHeaders = 128;
constexpr int64_t kMaxKeepaliveIdle = 65535;

// RFC 9110 tchar: what method tokens and header names are made of.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Upstream and route names appear in metric labels and admin URLs.
bool isName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = char(c + 32);
  }
  return out;
}

std::string toUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = char(c - 32);
  }
  return out;
}

bool isRegisteredMethod(std::string_view m) {
  constexpr std::string_view kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  return containsKey(kMethods, m);
}

// Empty when `host` is a valid route host pattern: a lower-case DNS name or IPv4 literal,
// optionally "*." + name, or a bracketed IPv6 literal; otherwise why it is not.
std::string checkHostPattern(std::string_view host) {
  if (host.empty()) return "it is empty";
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return "an IPv6 literal must be in brackets";
    for (char c : host.substr(1, host.size() - 2)) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return "not a valid IPv6 literal";
    }
    return "";
  }
  std::string_view name = host;
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
  } else if (name.find('*') != std::string_view::npos) {
    return "a wildcard is only allowed as a leading \"*.\", e.g. \"*.example.com\"";
  }
  if (name.find(':') != std::string_view::npos) {
    return "a port is not allowed (requests are matched on the host without it)";
  }
  if (name.empty() || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return "expected a host name such as \"api.example.com\" or \"*.example.com\"";
  }
  for (char c : name) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return "only letters, digits, '-', '_' and '.' are allowed";
  }
  return "";
}

// Empty when `path` can be matched against a request path; otherwise why it cannot.
std::string checkPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return "it must start with '/'";
  for (char c : path) {
    if (c == '?') return "'?' is not allowed (routes match the path without the query)";
    if (c == '#') return "'#' is not allowed (fragments are never sent)";
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "spaces and control characters are not allowed";
    }
  }
  return "";
}

bool isFieldValue(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// Walks a parsed YAML document and fills a Config, recording every problem it finds instead
// of stopping at the first one.
class Loader : private YamlFields {
 public:
  explicit Loader(std::string_view file)
      : YamlFields(std::string(file), [this](const YAML::Mark& mark, std::string message) {
          // Marks are 0-based; a null mark (-1) means "somewhere in this file".
          int line = mark.line < 0 ? 1 : mark.line + 1;
          int column = mark.column < 0 ? 1 : mark.column + 1;
          errors_.push_back(Diagnostic{this->file(), line, column, std::move(message)});
        }) {}

  LoadResult load(std::string_view yaml);

 private:
  // A route's reference to an upstream, checked once every upstream is known.
  struct UpstreamRef {
    std::string name;
    YAML::Mark mark;
  };

  void parseRoot(const YAML::Node& root, Config& cfg);
  void parseListen(const YAML::Node& value, const YAML::Node& key, Config& cfg);
  void parseTimeouts(const YAML::Node& value, const YAML::Node& key, Timeouts& t);
  void parseLimits(const YAML::Node& value, const YAML::Node& key, Limits& l);
  void parseUpstreams(const YAML::Node& value, const YAML::Node& key, Config& cfg);
  void parseUpstream(const YAML::Node& value, const YAML::Node& key, UpstreamConfig& up);
  void parseBackends(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                     UpstreamConfig& up);
  void parseHash(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                 UpstreamConfig& up);
  void parseRoutes(const YAML::Node& value, const YAML::Node& key, Config& cfg);
  void parseRoute(const YAML::Node& node, size_t index, RouteConfig& route);
  void parseMatch(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                  RouteMatch& match);
  void parseMethods(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                    RouteMatch& match);
  void parseHeaders(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                    RouteMatch& match);
  void parseLua(const YAML::Node& value, const YAML::Node& key, LuaConfig& lua);
  void parseAdmin(const YAML::Node& value, const YAML::Node& key, Config& cfg);
  void parseAccessLog(const YAML::Node& value, const YAML::Node& key, Config& cfg);
  void parseScript(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                   RouteConfig& route);
  void checkRouteNames(const Config& cfg);
  void checkRouteUpstreams(const Config& cfg);

  std::vector<Diagnostic> errors_;
  std::vector<std::optional<UpstreamRef>> upstream_refs_;  // by route index
  std::vector<std::optional<YAML::Mark>> name_marks_;      // explicit route names, by route index
};

LoadResult Loader::load(std::string_view yaml) {
  Config cfg;
  cfg.source_path = file();
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml));
    if (docs.size() > 1) {
      error(docs[1].Mark(), "only one YAML document is allowed per configuration file");
    }
    parseRoot(docs.empty() ? YAML::Node() : docs[0], cfg);
  } catch (const YAML::Exception& e) {
    // Syntax errors: the parser stops at the first one, so there is only ever one.
    error(e.mark, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    error(YAML::Mark::null_mark(), std::string("internal error while loading: ") + e.what());
  }

  std::stable_sort(errors_.begin(), errors_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  LoadResult result;
  if (errors_.empty()) result.config = std::move(cfg);
  result.errors = std::move(errors_);
  return result;
}

void Loader::parseRoot(const YAML::Node& root, Config& cfg) {
  if (root.IsNull()) {
    error(YAML::Mark::null_mark(), "the configuration is empty; 'listen' is required");
    return;
  }
  if (!root.IsMap()) {
    error(root.Mark(), "the configuration must be a mapping of keys (" + joinKeys(kRootKeys) +
                           "), got " + describeNode(root));
    return;
  }
  bool has_listen = false;
  forEachKey(root, "top level", kRootKeys,
             [&](std::string_view name, const YAML::Node& key, const YAML::Node& value) {
               if (name == "listen") {
                 has_listen = true;
                 parseListen(value, key, cfg);
               } else if (name == "workers") {
                 std::optional<std::string> text = scalar(value, key, "workers");
                 if (!text) return;
                 int64_t n = 0;
                 const char* end = text->data() + text->size();
                 auto [ptr, ec] = std::from_chars(text->data(), end, n);
                 if (*text == "auto") {
                   cfg.workers = 0;
                 } else if (!text->empty() && ec == std::errc() && ptr == end && n >= 1 &&
                            n <= kMaxWorkers) {
                   cfg.workers = uint32_t(n);
                 } else {
                   error(value, key,
                         "workers: expected 'auto' or a whole number from 1 to " +
                             std::to_string(kMaxWorkers) + ", got '" + *text + "'");
                 }
               } else if (name == "log_level") {
                 std::optional<std::string> text = scalar(value, key, "log_level");
                 if (!text) return;
                 if (*text != "debug" && *text != "info" && *text != "warn" && *text != "error") {
                   error(
                       value, key,
                       "log_level: expected one of debug, info, warn, error, got '" + *text + "'");
                   return;
                 }
                 cfg.log_level = *text;
               } else if (name == "timeouts") {
                 parseTimeouts(value, key, cfg.timeouts);
               } else if (name == "limits") {
                 parseLimits(value, key, cfg.limits);
               } else if (name == "upstreams") {
                 parseUpstreams(value, key, cfg);
               } else if (name == "routes") {
                 parseRoutes(value, key, cfg);
               } else if (name == "lua") {
                 parseLua(value, key, cfg.lua);
               } else if (name == "admin") {
                 parseAdmin(value, key, cfg);
               } else if (name == "access_log") {
                 parseAccessLog(value, key, cfg);
               } else if (name == "metrics") {
                 if (!expectMap(value, key, "metrics")) return;
                 forEachKey(value, "metrics", kMetricsKeys,
                            [&](std::string_view, const YAML::Node& k, const YAML::Node& v) {
                              if (auto b = boolean(v, k, "metrics.enabled"))
                                cfg.metrics_enabled = *b;
                            });
               }
             });
  if (!has_listen) error(root.Mark(), "'listen' is required (e.g. listen: \"0.0.0.0:8080\")");
  checkRouteNames(cfg);
  checkRouteUpstreams(cfg);
}

void Loader::parseListen(const YAML::Node& value, const YAML::Node& key, Config& cfg) {
  std::vector<YAML::Node> items;
  if (value.IsScalar()) {
    items.push_back(value);
  } else if (value.IsSequence()) {
    for (const auto& item : value)
      items.push_back(item);
  } else {
    error(value, key,
          "listen: expected an address or a list of addresses, got " + describeNode(value));
    return;
  }
  if (items.empty()) {
    error(value, key, "listen: at least one address is required");
    return;
  }
  std::map<std::string, YAML::Mark> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string where = value.IsSequence() ? "listen[" + std::to_string(i) + "]" : "listen";
    std::optional<std::string> text = scalar(items[i], key, where);
    if (!text) continue;
    Result<std::string> address = canonicalHostPort(*text);
    if (!address.ok()) {
      error(items[i], key, where + ": " + address.error().message());
      continue;
    }
    auto [it, inserted] = seen.emplace(address.value(), items[i].Mark());
    if (!inserted) {
      error(items[i], key,
            where + ": duplicate address '" + *text + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    cfg.listen.push_back(address.value());
  }
}

void Loader::parseTimeouts(const YAML::Node& value, const YAML::Node& key, Timeouts& t) {
  if (!expectMap(value, key, "timeouts")) return;
  forEachKey(value, "timeouts", kTimeoutKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               std::optional<int64_t> ms = duration(v, k, "timeouts." + std::string(name), true);
               if (!ms) return;
               if (name == "connect") t.connect_ms = *ms;
               if (name == "request_header") t.request_header_ms = *ms;
               if (name == "upstream_response") t.upstream_response_ms = *ms;
               if (name == "client_idle") t.client_idle_ms = *ms;
               if (name == "upstream_idle") t.upstream_idle_ms = *ms;
               if (name == "drain") t.drain_ms = *ms;
             });
}

void Loader::parseLimits(const YAML::Node& value, const YAML::Node& key, Limits& l) {
  if (!expectMap(value, key, "limits")) return;
  forEachKey(value, "limits", kLimitKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               std::string where = "limits." + std::string(name);
               if (name == "max_headers") {
                 if (auto n = integer(v, k, where, 1, kMaxHeaders)) l.max_headers = uint32_t(*n);
               } else if (name == "max_body_bytes") {
                 if (auto bytes = size(v, k, where, false)) l.max_body_bytes = *bytes;
               } else if (auto bytes = size(v, k, where, true)) {
                 if (name == "max_head_bytes") l.max_head_bytes = *bytes;
                 if (name == "max_request_line") l.max_request_line = *bytes;
               }
             });
}

void Loader::parseUpstreams(const YAML::Node& value, const YAML::Node& key, Config& cfg) {
  if (!expectMap(value, key, "upstreams")) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : value) {
    const YAML::Node& name_node = entry.first;
    if (!name_node.IsScalar()) {
      error(name_node.Mark(),
            "upstreams: names must be plain strings, got " + describeNode(name_node));
      continue;
    }
    const std::string& name = name_node.Scalar();
    if (!isName(name)) {
      error(name_node.Mark(),
            "upstreams: invalid name '" + name + "' (use letters, digits, '_', '.' and '-')");
      continue;
    }
    auto [it, inserted] = seen.emplace(name, name_node.Mark());
    if (!inserted) {
      error(name_node.Mark(),
            "upstreams: duplicate upstream '" + name + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    UpstreamConfig up;
    up.name = name;
    up.mark = markOf(name_node);
    parseUpstream(entry.second, name_node, up);
    cfg.upstreams.push_back(std::move(up));
  }
}

void Loader::parseUpstream(const YAML::Node& value, const YAML::Node& key, UpstreamConfig& up) {
  const std::string where = "upstreams." + up.name;
  if (!expectMap(value, key, where)) return;
  bool has_backends = false;
  // A scaled upstream's provider supplies the backends: `backends: []` is allowed there.
  const bool scaled = value["scale"].IsDefined();
  // Kept as copies, never assigned: yaml-cpp's Node::operator= rebinds the node it replaces.
  std::optional<YAML::Node> hash_key;
  std::optional<YAML::Node> hash_value;
  auto report = [this](const YAML::Mark& m, std::string message) { error(m, std::move(message)); };
  forEachKey(value, where, kUpstreamKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               if (name == "backends") {
                 has_backends = true;
                 if (!(scaled && v.IsSequence() && v.size() == 0)) {
                   parseBackends(v, k, where + ".backends", up);
                 }
               } else if (name == "scale") {
                 up.scale = parseScaleBlock(v, k, where + ".scale", file(),
                                            [this](const YAML::Mark& m, std::string message) {
                                              error(m, std::move(message));
                                            });
               } else if (name == "balance") {
                 std::optional<std::string> text = scalar(v, k, where + ".balance");
                 if (!text) return;
                 if (*text == "round_robin") {
                   up.balance = Balance::kRoundRobin;
                 } else if (*text == "least_request") {
                   up.balance = Balance::kLeastRequest;
                 } else if (*text == "ewma") {
                   up.balance = Balance::kEwma;
                 } else if (*text == "consistent_hash") {
                   up.balance = Balance::kConsistentHash;
                 } else {
                   error(v, k,
                         where +
                             ".balance: expected one of round_robin, least_request, ewma, "
                             "consistent_hash, got '" +
                             *text + "'");
                 }
               } else if (name == "hash") {
                 hash_key.emplace(k);
                 hash_value.emplace(v);
               } else if (name == "scrape") {
                 up.scrape = parseScrapeBlock(v, k, where + ".scrape", file(), report);
               } else if (name == "load_header") {
                 std::optional<std::string> text = scalar(v, k, where + ".load_header");
                 if (!text) return;
                 if (!isToken(*text)) {
                   error(v, k, where + ".load_header: '" + *text + "' is not a header name");
                   return;
                 }
                 up.load_header = toLower(*text);
               } else if (name == "keepalive") {
                 if (!expectMap(v, k, where + ".keepalive")) return;
                 forEachKey(v, where + ".keepalive", kKeepaliveKeys,
                            [&](std::string_view, const YAML::Node& k2, const YAML::Node& v2) {
                              if (auto n = integer(v2, k2, where + ".keepalive.max_idle", 0,
                                                   kMaxKeepaliveIdle)) {
                                up.keepalive_max_idle = uint32_t(*n);
                              }
                            });
               }
             });
  if (scaled && !up.backends.empty()) {
    error(key.Mark(), where +
                          ": 'backends' cannot be listed with 'scale' (the provider supplies "
                          "them)");
  } else if (!has_backends && !scaled) {
    error(key.Mark(), where + ": 'backends' is required (at least one address)");
  }
  // `hash` is read after the loop: whether it is allowed depends on `balance`, wherever
  // that appears in the mapping.
  if (hash_key) {
    if (up.balance != Balance::kConsistentHash) {
      error(hash_key->Mark(), where + ": 'hash' applies only to balance: consistent_hash");
    } else {
      parseHash(*hash_value, *hash_key, where + ".hash", up);
    }
  }
}

void Loader::parseBackends(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                           UpstreamConfig& up) {
  if (!value.IsSequence()) {
    error(value, key, where + ": expected a list of addresses, got " + describeNode(value));
    return;
  }
  if (value.size() == 0) {
    error(value, key, where + ": at least one backend is required");
    return;
  }
  std::map<std::string, YAML::Mark> seen;
  size_t i = 0;
  for (const auto& item : value) {
    const std::string item_where = where + "[" + std::to_string(i++) + "]";
    BackendConfig backend;
    backend.mark = markOf(item);
    std::optional<std::string> text;
    YAML::Mark address_mark = item.Mark();
    if (item.IsScalar()) {
      text = item.Scalar();
    } else if (item.IsMap()) {
      bool has_address = false;
      bool weight_ok = true;
      forEachKey(item, item_where, kBackendKeys,
                 [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
                   if (name == "address") {
                     has_address = true;
                     text = scalar(v, k, item_where + ".address");
                     address_mark = v.Mark();
                   } else if (auto n = integer(v, k, item_where + ".weight", 1, kMaxWeight)) {
                     backend.weight = uint32_t(*n);
                   } else {
                     weight_ok = false;
                   }
                 });
      if (!has_address) error(item.Mark(), item_where + ": 'address' is required");
      if (!weight_ok) continue;
    } else {
      error(item, key,
            item_where + ": expected an address or { address, weight }, got " + describeNode(item));
      continue;
    }
    if (!text) continue;
    Result<std::string> address = canonicalHostPort(*text);
    if (!address.ok()) {
      error(address_mark, item_where + ": " + address.error().message());
      continue;
    }
    auto [it, inserted] = seen.emplace(address.value(), address_mark);
    if (!inserted) {
      error(address_mark, item_where + ": duplicate backend '" + address.value() +
                              "' in upstream '" + up.name + "' (first at " + lineCol(it->second) +
                              ")");
      continue;
    }
    backend.address = address.value();
    up.backends.push_back(std::move(backend));
  }
}

void Loader::parseHash(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                       UpstreamConfig& up) {
  if (!expectMap(value, key, where)) return;
  std::optional<YAML::Mark> by_mark;
  std::optional<YAML::Mark> name_mark;
  std::optional<std::string> name;
  bool by_ok = false;
  forEachKey(
      value, where, kHashKeys,
      [&](std::string_view field, const YAML::Node& k, const YAML::Node& v) {
        if (field == "by") {
          by_mark = k.Mark();
          std::optional<std::string> text = scalar(v, k, where + ".by");
          if (!text) return;
          if (*text == "client_ip") {
            up.hash_by = HashBy::kClientIp;
          } else if (*text == "header") {
            up.hash_by = HashBy::kHeader;
          } else if (*text == "cookie") {
            up.hash_by = HashBy::kCookie;
          } else {
            error(v, k,
                  where + ".by: expected one of client_ip, header, cookie, got '" + *text + "'");
            return;
          }
          by_ok = true;
        } else {
          name_mark = k.Mark();
          name = scalar(v, k, where + ".name");
          if (name && !isToken(*name)) {
            error(v, k, where + ".name: '" + *name + "' is not a valid " + "header or cookie name");
            name.reset();
          }
        }
      });
  if (!by_mark) {
    error(value.Mark(), where + ": 'by' is required (client_ip, header or cookie)");
    return;
  }
  if (!by_ok) return;
  if (up.hash_by == HashBy::kClientIp) {
    if (name_mark) {
      error(*name_mark, where + ": 'name' is not used with by: client_ip");
    }
    return;
  }
  const char* what = up.hash_by == HashBy::kHeader ? "header" : "cookie";
  if (!name_mark) {
    error(*by_mark, where + ": 'name' is required with by: " + what);
    return;
  }
  if (!name) return;
  // Header names are case-insensitive and matched in lower case; cookie names are not.
  up.hash_name = up.hash_by == HashBy::kHeader ? toLower(*name) : *name;
}

void Loader::parseRoutes(const YAML::Node& value, const YAML::Node& key, Config& cfg) {
  if (!value.IsSequence()) {
    error(value, key, "routes: expected a list of routes, got " + describeNode(value));
    return;
  }
  size_t index = 0;
  for (const auto& item : value) {
    RouteConfig route;
    route.name = "route" + std::to_string(index);
    route.mark = markOf(item);
    upstream_refs_.emplace_back();
    name_marks_.emplace_back();
    parseRoute(item, index, route);
    cfg.routes.push_back(std::move(route));
    ++index;
  }
}

void Loader::parseRoute(const YAML::Node& node, size_t index, RouteConfig& route) {
  const std::string where = "routes[" + std::to_string(index) + "]";
  if (!node.IsMap()) {
    error(node.Mark(),
          where + ": expected a mapping with match and upstream, got " + describeNode(node));
    return;
  }
  bool has_upstream = false;
  forEachKey(node, where, kRouteKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               if (name == "name") {
                 std::optional<std::string> text = scalar(v, k, where + ".name");
                 if (!text) return;
                 if (!isName(*text)) {
                   error(v, k,
                         where + ".name: invalid name '" + *text +
                             "' (use letters, digits, '_', '.' and '-')");
                   return;
                 }
                 route.name = *text;
                 name_marks_[index] = v.Mark();
               } else if (name == "match") {
                 parseMatch(v, k, where + ".match", route.match);
               } else if (name == "upstream") {
                 has_upstream = true;
                 std::optional<std::string> text = scalar(v, k, where + ".upstream");
                 if (!text) return;
                 route.upstream = *text;
                 upstream_refs_[index] = UpstreamRef{*text, v.Mark()};
               } else if (name == "max_body") {
                 route.max_body_bytes = size(v, k, where + ".max_body", false);
               } else if (name == "script") {
                 parseScript(v, k, where + ".script", route);
               }
             });
  if (!has_upstream) error(node.Mark(), where + ": 'upstream' is required");
}

void Loader::parseScript(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                         RouteConfig& route) {
  ScriptConfig script;
  script.mark = markOf(value.IsNull() ? key : value);
  if (value.IsScalar()) {
    std::optional<std::string> text = scalar(value, key, where);
    if (!text) return;
    script.file = *text;
  } else {
    if (!expectMap(value, key, where)) return;
    forEachKey(value, where, kScriptKeys,
               [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
                 std::optional<std::string> text = scalar(v, k, where + "." + std::string(name));
                 if (!text) return;
                 (name == "file" ? script.file : script.code) = *text;
               });
    if (script.file.empty() == script.code.empty()) {
      error(value.Mark(), where + ": expected exactly one of 'file' or 'inline'");
      return;
    }
  }
  route.script = std::move(script);
}

void Loader::parseLua(const YAML::Node& value, const YAML::Node& key, LuaConfig& lua) {
  const std::string where = "lua";
  lua.mark = markOf(key);
  if (!expectMap(value, key, where)) return;
  forEachKey(
      value, where, kLuaKeys, [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
        const std::string field = where + "." + std::string(name);
        if (name == "memory_limit") {
          if (auto bytes = size(v, k, field, true)) {
            if (*bytes < (uint64_t{1} << 20)) {
              error(v, k, field + ": must be at least 1MiB");
              return;
            }
            lua.memory_limit_bytes = *bytes;
          }
        } else if (name == "time_limit") {
          if (auto ms = duration(v, k, field, true)) {
            if (*ms > 60'000) {
              error(v, k, field + ": at most 60s");
              return;
            }
            lua.time_limit = std::chrono::milliseconds(*ms);
          }
        } else if (name == "module_path") {
          if (auto text = scalar(v, k, field)) lua.module_path = *text;
        } else if (name == "control") {
          if (auto text = scalar(v, k, field)) lua.control_script = *text;
        } else if (name == "watch") {
          if (auto b = boolean(v, k, field)) lua.watch = *b;
        } else if (name == "shared_dicts") {
          if (!expectMap(v, k, field)) return;
          for (const auto& entry : v) {
            std::string dict = entry.first.Scalar();
            if (!isName(dict) || dict.find('.') != std::string::npos ||
                dict.find('-') != std::string::npos) {
              error(entry.first.Mark(),
                    field + ": invalid dict name '" + dict + "' (use letters, digits and '_')");
              continue;
            }
            if (auto bytes = size(entry.second, entry.first, field + "." + dict, true))
              lua.shared_dicts[dict] = *bytes;
          }
        }
      });
}

void Loader::parseAdmin(const YAML::Node& value, const YAML::Node& key, Config& cfg) {
  AdminConfig admin;
  admin.mark = markOf(key);
  if (!expectMap(value, key, "admin")) return;
  forEachKey(value, "admin", kAdminKeys,
             [&](std::string_view, const YAML::Node& k, const YAML::Node& v) {
               std::optional<std::string> text = scalar(v, k, "admin.listen");
               if (!text) return;
               admin.listen = *text;
               admin.mark = markOf(v);
             });
  if (admin.listen.empty()) {
    error(value, key, "admin: 'listen' is required (e.g. listen: \"127.0.0.1:9901\")");
    return;
  }
  cfg.admin = std::move(admin);
}

void Loader::parseAccessLog(const YAML::Node& value, const YAML::Node& key, Config& cfg) {
  AccessLogConfig log;
  log.mark = markOf(key);
  if (!expectMap(value, key, "access_log")) return;
  forEachKey(value, "access_log", kAccessLogKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               if (name == "path") {
                 if (auto text = scalar(v, k, "access_log.path")) log.path = *text;
               } else if (name == "buffer") {
                 if (auto bytes = size(v, k, "access_log.buffer", true)) {
                   if (*bytes < 4096) {
                     error(v, k, "access_log.buffer: must be at least 4KiB");
                     return;
                   }
                   log.buffer_bytes = *bytes;
                 }
               }
             });
  if (log.path.empty()) {
    error(value, key, "access_log: 'path' is required");
    return;
  }
  cfg.access_log = std::move(log);
}

void Loader::parseMatch(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                        RouteMatch& match) {
  if (!expectMap(value, key, where)) return;
  std::optional<std::string> first_path_key;
  forEachKey(value, where, kMatchKeys,
             [&](std::string_view name, const YAML::Node& k, const YAML::Node& v) {
               const std::string field = where + "." + std::string(name);
               if (name == "host") {
                 std::optional<std::string> text = scalar(v, k, field);
                 if (!text) return;
                 if (std::string why = checkHostPattern(*text); !why.empty()) {
                   error(v, k, field + ": invalid host '" + *text + "': " + why);
                   return;
                 }
                 match.host = toLower(*text);
               } else if (name == "path" || name == "path_prefix" || name == "path_regex") {
                 if (first_path_key) {
                   error(k.Mark(), where + ": '" + std::string(name) + "' conflicts with '" +
                                       *first_path_key +
                                       "' (use at most one of path, path_prefix, path_regex)");
                   return;
                 }
                 first_path_key = std::string(name);
                 std::optional<std::string> text = scalar(v, k, field);
                 if (!text) return;
                 if (name == "path_regex") {
                   RE2::Options options;
                   options.set_log_errors(false);
                   RE2 re(*text, options);
                   if (!re.ok()) {
                     error(v, k, field + ": invalid regular expression: " + re.error());
                     return;
                   }
                   match.path_regex = *text;
                   return;
                 }
                 if (std::string why = checkPath(*text); !why.empty()) {
                   error(v, k, field + ": invalid path '" + *text + "': " + why);
                   return;
                 }
                 (name == "path" ? match.path : match.path_prefix) = *text;
               } else if (name == "methods") {
                 parseMethods(v, k, field, match);
               } else if (name == "headers") {
                 parseHeaders(v, k, field, match);
               }
             });
}

void Loader::parseMethods(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                          RouteMatch& match) {
  if (!value.IsSequence()) {
    error(value, key,
          where + ": expected a list of methods such as [GET, POST], got " + describeNode(value));
    return;
  }
  if (value.size() == 0) {
    error(value, key,
          where +
              ": an empty list would match no request; leave methods out to "
              "match any method");
    return;
  }
  size_t i = 0;
  for (const auto& item : value) {
    const std::string item_where = where + "[" + std::to_string(i++) + "]";
    std::optional<std::string> method = scalar(item, key, item_where);
    if (!method) continue;
    if (!isToken(*method)) {
      error(item.Mark(), item_where + ": '" + *method + "' is not a valid method token");
      continue;
    }
    // Methods are case-sensitive (RFC 9110 §9.1): "get" would never match a GET request.
    if (std::string upper = toUpper(*method); upper != *method && isRegisteredMethod(upper)) {
      error(item.Mark(),
            item_where + ": methods are case-sensitive; did you mean '" + upper + "'?");
      continue;
    }
    if (std::find(match.methods.begin(), match.methods.end(), *method) != match.methods.end()) {
      error(item.Mark(), item_where + ": duplicate method '" + *method + "'");
      continue;
    }
    match.methods.push_back(*method);
  }
}

void Loader::parseHeaders(const YAML::Node& value, const YAML::Node& key, const std::string& where,
                          RouteMatch& match) {
  if (!expectMap(value, key, where)) return;
  std::map<std::string, YAML::Mark> seen;
  for (const auto& entry : value) {
    const YAML::Node& name_node = entry.first;
    const YAML::Node& value_node = entry.second;
    if (!name_node.IsScalar() || !isToken(name_node.Scalar())) {
      error(name_node.Mark(),
            where + ": " + describeNode(name_node) + " is not a valid header name");
      continue;
    }
    std::string name = toLower(name_node.Scalar());
    const std::string field = where + "." + name;
    auto [it, inserted] = seen.emplace(name, name_node.Mark());
    if (!inserted) {
      error(name_node.Mark(),
            where + ": duplicate header '" + name + "' (first at " + lineCol(it->second) + ")");
      continue;
    }
    std::optional<std::string> text = scalar(value_node, name_node, field);
    if (!text) continue;
    if (!isFieldValue(*text)) {
      error(value_node.Mark(), field + ": the value contains control characters");
      continue;
    }
    HeaderMatch header;
    header.name = std::move(name);
    if (*text == "*") {
      header.present_only = true;
    } else {
      header.value = *text;
    }
    match.headers.push_back(std::move(header));
  }
}

void Loader::checkRouteNames(const Config& cfg) {
  std::map<std::string, size_t> first;  // name -> route index
  for (size_t i = 0; i < cfg.routes.size(); ++i) {
    auto [it, inserted] = first.emplace(cfg.routes[i].name, i);
    if (inserted) continue;
    size_t j = it->second;
    if (name_marks_[i]) {
      error(*name_marks_[i], "routes[" + std::to_string(i) + "].name: duplicate route name '" +
                                 cfg.routes[i].name + "' (also routes[" + std::to_string(j) + "])");
    } else if (name_marks_[j]) {
      // Default names are unique among themselves, so the earlier one was written out.
      error(*name_marks_[j], "routes[" + std::to_string(j) + "].name: route name '" +
                                 cfg.routes[i].name + "' is also the default name of routes[" +
                                 std::to_string(i) + "]");
    }
  }
}

void Loader::checkRouteUpstreams(const Config& cfg) {
  std::string defined;
  for (const UpstreamConfig& up : cfg.upstreams) {
    if (!defined.empty()) defined += ", ";
    defined += up.name;
  }
  for (size_t i = 0; i < cfg.routes.size(); ++i) {
    if (!upstream_refs_[i]) continue;  // missing or not a string: reported already
    const UpstreamRef& ref = *upstream_refs_[i];
    bool found = std::any_of(cfg.upstreams.begin(), cfg.upstreams.end(),
                             [&](const UpstreamConfig& up) { return up.name == ref.name; });
    if (found) continue;
    error(ref.mark,
          "routes[" + std::to_string(i) + "].upstream: unknown upstream '" + ref.name + "' (" +
              (defined.empty() ? "no upstreams are defined" : "defined: " + defined) + ")");
  }
}

}  // namespace

LoadResult loadConfigString(std::string_view yaml, std::string_view name) {
  return Loader(name).load(yaml);
}

LoadResult loadConfigFile(const std::string& path) {
  auto fail = [&](std::string message) {
    LoadResult result;
    result.errors.push_back(Diagnostic{path, 0, 0, std::move(message)});
    return result;
  };
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return fail("cannot read configuration: it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return fail("cannot read configuration: " + std::generic_category().message(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      return fail("cannot read configuration: " + std::generic_category().message(errno));
    }
    return loadConfigString(text.str(), path);
  } catch (const std::exception& e) {
    return fail(std::string("cannot read configuration: ") + e.what());
  }
}

}  // namespace tidegate::config
