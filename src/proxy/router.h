#pragma once
// The router: picks the Route for a request head by host, path, method and headers. Built once
// per config snapshot on the control thread (regexes compiled there), then read by every
// worker at once: match() is const, takes no lock of ours and allocates nothing.
//
// Evaluation order is "most specific first", fixed when the Router is built, so the first
// route that matches wins and the result never depends on how routes happen to be written:
//   1. host:  exact ("api.example.com") > wildcard ("*.example.com"; longer suffix first) >
//             no host
//   2. path:  exact (path) > regex (path_regex) > prefix (path_prefix; longer first) > no path
//   3. more constraints first: methods count as one, each header as one
//   4. ties: config order
// Host outranks path: a route for "api.example.com" with no path is tried before a route for
// any host with path "/login".
//
// Matching rules: the host is the request's authority without its port (and without a
// trailing dot), compared case-insensitively; "*.example.com" matches "a.example.com" and
// "a.b.example.com" but not "example.com". The path is matched without the query,
// case-sensitively; path_regex must match the whole path (RE2 full match). Methods compare
// exactly (they are case-sensitive). A header constraint is met when any field with that name
// has the given value exactly, or, for "*", when the field is present at all.
//
// RE2 is safe to share between threads; its lazily built DFA may allocate and take RE2's own
// lock during the first matches of a regex, then runs from its cache.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"
#include "http/message_head.h"

namespace re2 {
class RE2;
}

namespace tidegate::proxy {

// A route from the config, compiled for matching.
struct Route {
  enum class HostKind : uint8_t { kAny, kExact, kWildcard };
  enum class PathKind : uint8_t { kAny, kExact, kRegex, kPrefix };

  Route();
  Route(Route&&) noexcept;
  Route& operator=(Route&&) noexcept;
  ~Route();

  std::string name;
  size_t index = 0;  // position in config.routes
  std::string upstream;
  uint64_t max_body_bytes = 0;  // the route's max_body, else limits.max_body_bytes

  HostKind host_kind = HostKind::kAny;
  std::string host;  // lower case; for kWildcard the suffix with its dot (".example.com")
  PathKind path_kind = PathKind::kAny;
  std::string path;                       // the exact path, the prefix, or the regex source
  std::unique_ptr<const re2::RE2> regex;  // kRegex only; null if it failed to compile
  std::vector<std::string> methods;       // empty: any method
  std::vector<config::HeaderMatch> headers;

  // `host` is the request host without port; `path` is without the query.
  bool matches(std::string_view host, std::string_view path, const http::RequestHead& head) const;
};

class Router {
 public:
  // Compiles every route of `cfg`, which the loader has validated. A regex that still fails
  // to compile makes its route match nothing rather than everything.
  explicit Router(const config::Config& cfg);

  // The first route, in evaluation order, that matches `head`; nullptr when none does (404).
  // Any thread; allocation-free.
  const Route* match(const http::RequestHead& head) const;

  // All routes in evaluation order; Route::index gives each one's place in the config.
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace tidegate::proxy
