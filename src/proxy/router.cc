#include "proxy/router.h"

#include <re2/re2.h>

#include <algorithm>

#include "http/header.h"

namespace tidegate::proxy {
namespace {

// The host part of an authority: without userinfo, port and a trailing dot (an absolute
// name "example.com." is the same host). IPv6 literals keep their brackets.
std::string_view hostOf(std::string_view authority) {
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    authority = authority.substr(0, colon);
  }
  if (!authority.empty() && authority.back() == '.') authority.remove_suffix(1);
  return authority;
}

int hostRank(const Route& r) {
  switch (r.host_kind) {
    case Route::HostKind::kExact:
      return 0;
    case Route::HostKind::kWildcard:
      return 1;
    case Route::HostKind::kAny:
      break;
  }
  return 2;
}

int pathRank(const Route& r) {
  switch (r.path_kind) {
    case Route::PathKind::kExact:
      return 0;
    case Route::PathKind::kRegex:
      return 1;
    case Route::PathKind::kPrefix:
      return 2;
    case Route::PathKind::kAny:
      break;
  }
  return 3;
}

size_t constraintCount(const Route& r) {
  return (r.methods.empty() ? 0 : 1) + r.headers.size();
}

// True when `a` must be tried before `b`: the order documented in router.h.
bool moreSpecific(const Route& a, const Route& b) {
  if (hostRank(a) != hostRank(b)) return hostRank(a) < hostRank(b);
  if (a.host_kind == Route::HostKind::kWildcard && a.host.size() != b.host.size()) {
    return a.host.size() > b.host.size();
  }
  if (pathRank(a) != pathRank(b)) return pathRank(a) < pathRank(b);
  if (a.path_kind == Route::PathKind::kPrefix && a.path.size() != b.path.size()) {
    return a.path.size() > b.path.size();
  }
  if (constraintCount(a) != constraintCount(b)) return constraintCount(a) > constraintCount(b);
  return a.index < b.index;
}

Route compile(const config::RouteConfig& rc, size_t index, const config::Limits& limits) {
  Route r;
  r.name = rc.name;
  r.index = index;
  r.upstream = rc.upstream;
  r.max_body_bytes = rc.max_body_bytes.value_or(limits.max_body_bytes);

  const config::RouteMatch& m = rc.match;
  if (m.host) {
    if (m.host->starts_with("*.")) {
      r.host_kind = Route::HostKind::kWildcard;
      r.host = m.host->substr(1);  // keep the dot: ".example.com"
    } else {
      r.host_kind = Route::HostKind::kExact;
      r.host = *m.host;
    }
    // The loader lower-cases hosts; do it again so a hand-built Config cannot miss.
    for (char& c : r.host) {
      if (c >= 'A' && c <= 'Z') c = char(c + 32);
    }
  }
  if (m.path) {
    r.path_kind = Route::PathKind::kExact;
    r.path = *m.path;
  } else if (m.path_regex) {
    r.path_kind = Route::PathKind::kRegex;
    r.path = *m.path_regex;
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(r.path, options);
    if (re->ok()) r.regex = std::move(re);
  } else if (m.path_prefix) {
    r.path_kind = Route::PathKind::kPrefix;
    r.path = *m.path_prefix;
  }
  r.methods = m.methods;
  r.headers = m.headers;
  for (config::HeaderMatch& h : r.headers) {
    for (char& c : h.name) {
      if (c >= 'A' && c <= 'Z') c = char(c + 32);
    }
  }
  return r;
}

bool headerMatches(const config::HeaderMatch& want, const http::HeaderList& headers) {
  for (const http::Header& h : headers) {
    if (!http::equalsLower(h.name, want.name)) continue;
    if (want.present_only || h.value == want.value) return true;
  }
  return false;
}

}  // namespace

Route::Route() = default;
Route::Route(Route&&) noexcept = default;
Route& Route::operator=(Route&&) noexcept = default;
Route::~Route() = default;

bool Route::matches(std::string_view req_host, std::string_view req_path,
                    const http::RequestHead& head) const {
  switch (host_kind) {
    case HostKind::kAny:
      break;
    case HostKind::kExact:
      if (!http::equalsLower(req_host, host)) return false;
      break;
    case HostKind::kWildcard:
      // At least one character before the suffix: "*.example.com" is not "example.com".
      if (req_host.size() <= host.size() ||
          !http::equalsLower(req_host.substr(req_host.size() - host.size()), host)) {
        return false;
      }
      break;
  }
  switch (path_kind) {
    case PathKind::kAny:
      break;
    case PathKind::kExact:
      if (req_path != path) return false;
      break;
    case PathKind::kPrefix:
      if (!req_path.starts_with(path)) return false;
      break;
    case PathKind::kRegex:
      if (!regex || !RE2::FullMatch(re2::StringPiece(req_path.data(), req_path.size()), *regex)) {
        return false;
      }
      break;
  }
  if (!methods.empty() &&
      std::find(methods.begin(), methods.end(), head.method_text) == methods.end()) {
    return false;
  }
  for (const config::HeaderMatch& h : headers) {
    if (!headerMatches(h, head.headers)) return false;
  }
  return true;
}

Router::Router(const config::Config& cfg) {
  routes_.reserve(cfg.routes.size());
  for (size_t i = 0; i < cfg.routes.size(); ++i) {
    routes_.push_back(compile(cfg.routes[i], i, cfg.limits));
  }
  std::sort(routes_.begin(), routes_.end(), moreSpecific);
}

const Route* Router::match(const http::RequestHead& head) const {
  std::string_view host = hostOf(head.authority);
  // The parser already splits the query off; cut here too so the contract holds for any head.
  std::string_view path = head.path;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  for (const Route& r : routes_) {
    if (r.matches(host, path, head)) return &r;
  }
  return nullptr;
}

}  // namespace tidegate::proxy
