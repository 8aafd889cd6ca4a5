#include "proxy/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <string>
#include <utility>
#include <vector>

// Counts heap allocations so a test can check that matching makes none. Replacing the global
// operator new affects the whole proxy_test binary, but only by counting.
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

// GCC sees the malloc/free pairing through inlining and calls it mismatched, at every inlined
// call site in this file; it is exactly the pairing a replaced operator new/delete must use.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace tidegate::proxy {
namespace {

using Headers = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Builds a RouteMatch field by field: Match().host("a.com").prefix("/api/").methods("GET").
class Match {
 public:
  Match& host(std::string v) { return set(m_.host, std::move(v)); }
  Match& path(std::string v) { return set(m_.path, std::move(v)); }
  Match& prefix(std::string v) { return set(m_.path_prefix, std::move(v)); }
  Match& regex(std::string v) { return set(m_.path_regex, std::move(v)); }
  template <typename... M>
  Match& methods(M... m) {
    (m_.methods.emplace_back(m), ...);
    return *this;
  }
  template <typename... H>
  Match& headers(H... h) {
    (m_.headers.push_back(std::move(h)), ...);
    return *this;
  }
  operator config::RouteMatch() const { return m_; }  // NOLINT: implicit by design

 private:
  Match& set(std::optional<std::string>& field, std::string v) {
    field = std::move(v);
    return *this;
  }
  config::RouteMatch m_;
};

config::RouteConfig route(std::string name, config::RouteMatch match) {
  config::RouteConfig r;
  r.name = std::move(name);
  r.match = std::move(match);
  r.upstream = "pool";
  return r;
}

config::HeaderMatch header(std::string name, std::string value) {
  config::HeaderMatch h;
  h.name = std::move(name);
  if (value == "*") {
    h.present_only = true;
  } else {
    h.value = std::move(value);
  }
  return h;
}

// The RequestHead views point into the strings the test passes, as into a read buffer.
http::RequestHead head(std::string_view method, std::string_view authority, std::string_view path,
                       Headers headers = {}) {
  http::RequestHead h;
  h.method_text = method;
  h.authority = authority;
  h.path = path;
  h.target = path;
  for (const auto& [name, value] : headers)
    h.headers.push(name, value);
  return h;
}

class RouterTest : public ::testing::Test {
 protected:
  void add(std::string name, config::RouteMatch match) {
    cfg_.routes.push_back(route(std::move(name), std::move(match)));
  }

  // The name of the route chosen for the request, or "-" for none. Rebuilds the router so
  // each test can add routes between lookups.
  std::string pick(std::string_view method, std::string_view authority, std::string_view path,
                   Headers headers = {}) {
    Router router(cfg_);
    const Route* r = router.match(head(method, authority, path, headers));
    return r ? r->name : "-";
  }

  std::vector<std::string> order() {
    Router router(cfg_);
    std::vector<std::string> names;
    for (const Route& r : router.routes())
      names.push_back(r.name);
    return names;
  }

  config::Config cfg_;
};

TEST_F(RouterTest, NoRoutesMatchesNothing) {
  EXPECT_EQ(pick("GET", "example.com", "/"), "-");
}

TEST_F(RouterTest, NoMatchReturnsNull) {
  add("api", Match().host("api.example.com").prefix("/api/"));
  EXPECT_EQ(pick("GET", "api.example.com", "/other"), "-");
  EXPECT_EQ(pick("GET", "www.example.com", "/api/x"), "-");
}

TEST_F(RouterTest, CatchAllMatchesEverything) {
  add("all", Match());
  EXPECT_EQ(pick("GET", "", "/"), "all");
  EXPECT_EQ(pick("BREW", "x.y", "/pot"), "all");
}

TEST_F(RouterTest, HostExactBeforeWildcardBeforeAny) {
  add("any", Match());
  add("wild", Match().host("*.example.com"));
  add("exact", Match().host("api.example.com"));
  EXPECT_EQ(order(), (std::vector<std::string>{"exact", "wild", "any"}));
  EXPECT_EQ(pick("GET", "api.example.com", "/"), "exact");
  EXPECT_EQ(pick("GET", "www.example.com", "/"), "wild");
  EXPECT_EQ(pick("GET", "example.org", "/"), "any");
}

TEST_F(RouterTest, LongerWildcardSuffixFirst) {
  add("short", Match().host("*.example.com"));
  add("long", Match().host("*.eu.example.com"));
  EXPECT_EQ(order(), (std::vector<std::string>{"long", "short"}));
  EXPECT_EQ(pick("GET", "a.eu.example.com", "/"), "long");
  EXPECT_EQ(pick("GET", "a.us.example.com", "/"), "short");
  EXPECT_EQ(pick("GET", "eu.example.com", "/"), "short");
}

TEST_F(RouterTest, WildcardNeedsALabelBeforeTheSuffix) {
  add("wild", Match().host("*.example.com"));
  EXPECT_EQ(pick("GET", "a.example.com", "/"), "wild");
  EXPECT_EQ(pick("GET", "a.b.example.com", "/"), "wild");
  EXPECT_EQ(pick("GET", "example.com", "/"), "-");
  EXPECT_EQ(pick("GET", ".example.com", "/"), "-");  // an empty label is no label
  EXPECT_EQ(pick("GET", "aexample.com", "/"), "-");
  EXPECT_EQ(pick("GET", "example.com.evil.org", "/"), "-");
}

TEST_F(RouterTest, HostIgnoresPortAndCase) {
  add("exact", Match().host("api.example.com"));
  add("wild", Match().host("*.example.com"));
  EXPECT_EQ(pick("GET", "api.example.com:8443", "/"), "exact");
  EXPECT_EQ(pick("GET", "API.Example.COM", "/"), "exact");
  EXPECT_EQ(pick("GET", "Api.Example.Com:80", "/"), "exact");
  EXPECT_EQ(pick("GET", "WWW.EXAMPLE.COM:8080", "/"), "wild");
  EXPECT_EQ(pick("GET", "api.example.com.", "/"), "exact");  // absolute name
  EXPECT_EQ(pick("GET", "api.example.com.:80", "/"), "exact");
}

TEST_F(RouterTest, ConfigHostIsComparedInLowerCase) {
  add("exact", Match().host("API.Example.com"));  // a hand-built config, not lower-cased
  EXPECT_EQ(pick("GET", "api.example.COM", "/"), "exact");
}

TEST_F(RouterTest, Ipv6LiteralHost) {
  add("v6", Match().host("[::1]"));
  EXPECT_EQ(pick("GET", "[::1]:8080", "/"), "v6");
  EXPECT_EQ(pick("GET", "[::1]", "/"), "v6");
  EXPECT_EQ(pick("GET", "[::2]:8080", "/"), "-");
}

TEST_F(RouterTest, MissingHostMatchesOnlyHostlessRoutes) {
  add("exact", Match().host("api.example.com"));
  add("wild", Match().host("*.example.com"));
  EXPECT_EQ(pick("GET", "", "/"), "-");
  add("any", Match());
  EXPECT_EQ(pick("GET", "", "/"), "any");
}

TEST_F(RouterTest, PathExactBeforeRegexBeforePrefixBeforeNone) {
  add("none", Match());
  add("prefix", Match().prefix("/users/"));
  add("regex", Match().regex("/users/[0-9]+"));
  add("exact", Match().path("/users/42"));
  EXPECT_EQ(order(), (std::vector<std::string>{"exact", "regex", "prefix", "none"}));
  EXPECT_EQ(pick("GET", "h", "/users/42"), "exact");
  EXPECT_EQ(pick("GET", "h", "/users/7"), "regex");
  EXPECT_EQ(pick("GET", "h", "/users/bob"), "prefix");
  EXPECT_EQ(pick("GET", "h", "/"), "none");
}

TEST_F(RouterTest, LongestPrefixFirst) {
  add("api", Match().prefix("/api/"));
  add("root", Match().prefix("/"));
  add("v2", Match().prefix("/api/v2/"));
  EXPECT_EQ(order(), (std::vector<std::string>{"v2", "api", "root"}));
  EXPECT_EQ(pick("GET", "h", "/api/v2/users"), "v2");
  EXPECT_EQ(pick("GET", "h", "/api/v1/users"), "api");
  EXPECT_EQ(pick("GET", "h", "/api"), "root");  // prefixes are plain string prefixes
  EXPECT_EQ(pick("GET", "h", "/static/x.css"), "root");
}

TEST_F(RouterTest, PathIsCaseSensitive) {
  add("login", Match().path("/login"));
  EXPECT_EQ(pick("GET", "h", "/login"), "login");
  EXPECT_EQ(pick("GET", "h", "/Login"), "-");
  EXPECT_EQ(pick("GET", "h", "/login/"), "-");
}

TEST_F(RouterTest, PathIsMatchedWithoutTheQuery) {
  add("login", Match().path("/login"));
  add("re", Match().regex("/search"));
  http::RequestHead h = head("GET", "h", "/login");
  h.query = "next=/home";
  h.target = "/login?next=/home";
  Router router(cfg_);
  const Route* r = router.match(h);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "login");
  // Even a head whose path still carries the query is matched on the path alone.
  EXPECT_EQ(pick("GET", "h", "/login?next=/home"), "login");
  EXPECT_EQ(pick("GET", "h", "/search?q=x"), "re");
}

TEST_F(RouterTest, RegexMustMatchTheWholePath) {
  add("user", Match().regex("/users/[0-9]+"));
  EXPECT_EQ(pick("GET", "h", "/users/42"), "user");
  EXPECT_EQ(pick("GET", "h", "/users/42/posts"), "-");
  EXPECT_EQ(pick("GET", "h", "/v1/users/42"), "-");
  EXPECT_EQ(pick("GET", "h", "/users/"), "-");
}

TEST_F(RouterTest, InvalidRegexMatchesNothing) {
  add("broken", Match().regex("("));
  add("fallback", Match().prefix("/"));
  EXPECT_EQ(pick("GET", "h", "/("), "fallback");
}

TEST_F(RouterTest, HostOutranksPath) {
  add("login", Match().path("/login"));
  add("api-host", Match().host("api.example.com"));
  EXPECT_EQ(pick("GET", "api.example.com", "/login"), "api-host");
  EXPECT_EQ(pick("GET", "www.example.com", "/login"), "login");
}

TEST_F(RouterTest, MethodsAreExactAndCaseSensitive) {
  add("any", Match().prefix("/api/"));
  add("write", Match().prefix("/api/").methods("POST", "PUT"));
  EXPECT_EQ(pick("POST", "h", "/api/x"), "write");
  EXPECT_EQ(pick("PUT", "h", "/api/x"), "write");
  EXPECT_EQ(pick("GET", "h", "/api/x"), "any");
  EXPECT_EQ(pick("post", "h", "/api/x"), "any");
  EXPECT_EQ(pick("POSTX", "h", "/api/x"), "any");
}

TEST_F(RouterTest, HeaderExactValue) {
  add("stable", Match().prefix("/"));
  add("canary", Match().prefix("/").headers(header("x-canary", "1")));
  EXPECT_EQ(pick("GET", "h", "/", {{"x-canary", "1"}}), "canary");
  EXPECT_EQ(pick("GET", "h", "/", {{"X-Canary", "1"}}), "canary");  // names: any case
  EXPECT_EQ(pick("GET", "h", "/", {{"x-canary", "0"}}), "stable");
  EXPECT_EQ(pick("GET", "h", "/", {{"x-canary", "10"}}), "stable");
  EXPECT_EQ(pick("GET", "h", "/"), "stable");
}

TEST_F(RouterTest, HeaderValuesAreCaseSensitive) {
  add("beta", Match().headers(header("x-channel", "Beta")));
  EXPECT_EQ(pick("GET", "h", "/", {{"x-channel", "Beta"}}), "beta");
  EXPECT_EQ(pick("GET", "h", "/", {{"x-channel", "beta"}}), "-");
}

TEST_F(RouterTest, HeaderPresentWithAnyValue) {
  add("debug", Match().headers(header("x-debug", "*")));
  EXPECT_EQ(pick("GET", "h", "/", {{"x-debug", "yes"}}), "debug");
  EXPECT_EQ(pick("GET", "h", "/", {{"X-DEBUG", ""}}), "debug");
  EXPECT_EQ(pick("GET", "h", "/", {{"x-other", "1"}}), "-");
}

TEST_F(RouterTest, AnyRepeatedFieldMayCarryTheValue) {
  add("tagged", Match().headers(header("x-tag", "b")));
  EXPECT_EQ(pick("GET", "h", "/", {{"x-tag", "a"}, {"x-tag", "b"}}), "tagged");
}

TEST_F(RouterTest, AllHeaderConstraintsMustHold) {
  add("both", Match().headers(header("x-a", "1"), header("x-b", "*")));
  EXPECT_EQ(pick("GET", "h", "/", {{"x-a", "1"}, {"x-b", "z"}}), "both");
  EXPECT_EQ(pick("GET", "h", "/", {{"x-a", "1"}}), "-");
  EXPECT_EQ(pick("GET", "h", "/", {{"x-b", "z"}}), "-");
}

TEST_F(RouterTest, MoreConstraintsFirst) {
  add("plain", Match().prefix("/api/"));
  add("method", Match().prefix("/api/").methods("GET"));
  add("method+header", Match().prefix("/api/").methods("GET").headers(header("x-canary", "1")));
  EXPECT_EQ(order(), (std::vector<std::string>{"method+header", "method", "plain"}));
  EXPECT_EQ(pick("GET", "h", "/api/x", {{"x-canary", "1"}}), "method+header");
  EXPECT_EQ(pick("GET", "h", "/api/x"), "method");
  EXPECT_EQ(pick("POST", "h", "/api/x", {{"x-canary", "1"}}), "plain");
}

TEST_F(RouterTest, PathOutranksConstraints) {
  add("prefix+method", Match().prefix("/api/").methods("GET"));
  add("exact", Match().path("/api/x"));
  EXPECT_EQ(pick("GET", "h", "/api/x"), "exact");
}

TEST_F(RouterTest, TiesKeepConfigOrder) {
  add("first", Match().prefix("/a"));
  add("second", Match().prefix("/b"));
  add("third", Match().prefix("/a"));
  add("fourth", Match().headers(header("x", "1")));
  add("fifth", Match().methods("GET"));
  EXPECT_EQ(order(), (std::vector<std::string>{"first", "second", "third", "fourth", "fifth"}));
  EXPECT_EQ(pick("GET", "h", "/a"), "first");
}

TEST_F(RouterTest, RouteFieldsAreResolved) {
  cfg_.limits.max_body_bytes = 1000;
  add("default-limit", Match().prefix("/a"));
  config::RouteConfig custom = route("custom-limit", Match().path("/b"));
  custom.upstream = "other";
  custom.max_body_bytes = 10;
  cfg_.routes.push_back(custom);

  Router router(cfg_);
  ASSERT_EQ(router.routes().size(), 2u);
  const Route& first = router.routes()[0];  // exact path sorts first
  EXPECT_EQ(first.name, "custom-limit");
  EXPECT_EQ(first.index, 1u);
  EXPECT_EQ(first.upstream, "other");
  EXPECT_EQ(first.max_body_bytes, 10u);
  const Route& second = router.routes()[1];
  EXPECT_EQ(second.name, "default-limit");
  EXPECT_EQ(second.index, 0u);
  EXPECT_EQ(second.upstream, "pool");
  EXPECT_EQ(second.max_body_bytes, 1000u);
  EXPECT_EQ(router.match(head("GET", "h", "/b")), &first);
}

TEST_F(RouterTest, MatchDoesNotAllocate) {
  add("exact-host", Match().host("API.example.com").path("/x"));
  add("wild", Match().host("*.example.com").prefix("/api/").methods("GET", "POST"));
  add("regex", Match().regex("/users/[0-9]+").headers(header("x-user", "*")));
  add("headers", Match().prefix("/").headers(header("x-canary", "1"), header("x-env", "prod")));
  Router router(cfg_);
  http::RequestHead heads[] = {
      head("GET", "Api.Example.com:443", "/x"),
      head("POST", "a.b.example.com", "/api/v1"),
      head("GET", "h", "/users/12345", {{"X-User", "u"}}),
      head("GET", "h", "/z", {{"x-env", "prod"}, {"X-Canary", "1"}}),
      head("GET", "h", "/nothing"),
  };
  // RE2 builds its DFA lazily; let it settle before counting.
  for (int i = 0; i < 3; ++i) {
    for (const auto& h : heads)
      (void)router.match(h);
  }
  size_t before = g_allocations.load();
  size_t matched = 0;
  for (int i = 0; i < 100; ++i) {
    for (const auto& h : heads)
      matched += router.match(h) != nullptr;
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(matched, 400u);
}

}  // namespace
}  // namespace tidegate::proxy
