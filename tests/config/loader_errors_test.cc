// Every way a configuration can be wrong, each with the exact file:line:col a user sees.
// Columns are 1-based and point at the offending value, or at the key when the value is
// missing or the key itself is the problem.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "errors_of.h"

namespace tidegate::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;

TEST(LoaderErrorsTest, UnknownTopLevelKey) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
bogus: 1
)"),
      ElementsAre(
          "t.yaml:2:1: top level: unknown key 'bogus' (allowed: listen, workers, "
          "log_level, timeouts, limits, upstreams, routes, lua, admin, access_log, metrics)"));
}

TEST(LoaderErrorsTest, UnknownNestedKeys) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
timeouts: { connect: 1s, idle: 3s }
limits: { max_body: 1m }
upstreams:
  api:
    backends: ["127.0.0.1:9001", { address: "127.0.0.1:9002", wieght: 2 }]
    retries: 3
    keepalive: { max_idle: 8, ttl: 1s }
routes:
  - upstream: api
    match: { path: /x, query: a }
    cache: {}
)"),
      ElementsAre(
          "t.yaml:2:26: timeouts: unknown key 'idle' (allowed: connect, request_header, "
          "upstream_response, client_idle, upstream_idle, drain)",
          "t.yaml:3:11: limits: unknown key 'max_body' (allowed: max_head_bytes, "
          "max_request_line, max_headers, max_body_bytes)",
          "t.yaml:6:63: upstreams.api.backends[1]: unknown key 'wieght' (allowed: address, "
          "weight)",
          "t.yaml:7:5: upstreams.api: unknown key 'retries' (allowed: backends, balance, hash, "
          "keepalive, scale, load_header, scrape)",
          "t.yaml:8:31: upstreams.api.keepalive: unknown key 'ttl' (allowed: max_idle)",
          "t.yaml:11:24: routes[0].match: unknown key 'query' (allowed: host, path, "
          "path_prefix, path_regex, methods, headers)",
          "t.yaml:12:5: routes[0]: unknown key 'cache' (allowed: name, match, upstream, "
          "max_body, script)"));
}

TEST(LoaderErrorsTest, DuplicateKey) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
workers: 2
workers: 4
)"),
              ElementsAre("t.yaml:3:1: top level: duplicate key 'workers' (first at 2:1)"));
}

TEST(LoaderErrorsTest, KeyThatIsNotAString) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
? [a]
: 1
)"),
              ElementsAre("t.yaml:2:3: top level: keys must be plain strings, got a list"));
}

TEST(LoaderErrorsTest, ListenIsRequired) {
  EXPECT_THAT(errorsOf("workers: 2\n"),
              ElementsAre("t.yaml:1:1: 'listen' is required (e.g. listen: \"0.0.0.0:8080\")"));
}

TEST(LoaderErrorsTest, ListenAddresses) {
  EXPECT_THAT(
      errorsOf(
          R"(listen: ["0.0.0.0:8080", "localhost:80", "10.0.0.1", "0.0.0.0:8080", "[::1]:0", 8080]
)"),
      ElementsAre("t.yaml:1:26: listen[1]: invalid address 'localhost:80': the host must be a "
                  "numeric IPv4 address (names are not resolved)",
                  "t.yaml:1:42: listen[2]: invalid address '10.0.0.1': a port is required, e.g. "
                  "\"127.0.0.1:8080\"",
                  "t.yaml:1:54: listen[3]: duplicate address '0.0.0.0:8080' (first at 1:10)",
                  "t.yaml:1:70: listen[4]: invalid address '[::1]:0': the port must be a number "
                  "from 1 to 65535",
                  "t.yaml:1:81: listen[5]: invalid address '8080': a port is required, e.g. "
                  "\"127.0.0.1:8080\""));
}

TEST(LoaderErrorsTest, ListenSingleAddress) {
  EXPECT_THAT(errorsOf("listen: \"::1:8080\"\n"),
              ElementsAre("t.yaml:1:9: listen: invalid address '::1:8080': an IPv6 address must "
                          "be in brackets, e.g. \"[::1]:8080\""));
}

TEST(LoaderErrorsTest, ListenEmptyOrWrongType) {
  EXPECT_THAT(errorsOf("listen: []\n"),
              ElementsAre("t.yaml:1:9: listen: at least one address is required"));
  EXPECT_THAT(errorsOf("listen: { a: 1 }\n"),
              ElementsAre("t.yaml:1:9: listen: expected an address or a list of addresses, got "
                          "a mapping"));
  // An empty value is reported at its key.
  EXPECT_THAT(errorsOf("listen:\nworkers: 2\n"),
              ElementsAre("t.yaml:1:1: listen: expected an address or a list of addresses, got "
                          "nothing"));
}

TEST(LoaderErrorsTest, Workers) {
  const char* prefix = "listen: \"127.0.0.1:8080\"\nworkers: ";
  auto expect = [](std::string got) {
    return "t.yaml:2:10: workers: expected 'auto' or a whole number from 1 to 256, got '" + got +
           "'";
  };
  EXPECT_THAT(errorsOf(std::string(prefix) + "0\n"), ElementsAre(expect("0")));
  EXPECT_THAT(errorsOf(std::string(prefix) + "257\n"), ElementsAre(expect("257")));
  EXPECT_THAT(errorsOf(std::string(prefix) + "-1\n"), ElementsAre(expect("-1")));
  EXPECT_THAT(errorsOf(std::string(prefix) + "many\n"), ElementsAre(expect("many")));
  EXPECT_THAT(errorsOf(std::string(prefix) + "2.5\n"), ElementsAre(expect("2.5")));
}

TEST(LoaderErrorsTest, LogLevel) {
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\nlog_level: verbose\n"),
              ElementsAre("t.yaml:2:12: log_level: expected one of debug, info, warn, error, got "
                          "'verbose'"));
}

TEST(LoaderErrorsTest, Timeouts) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
timeouts:
  connect: 5
  request_header: 0s
  upstream_response: 2days
  client_idle: 0.5ms
  drain: [1s]
)"),
              ElementsAre("t.yaml:3:12: timeouts.connect: invalid duration '5': a unit is "
                          "required (ms, s, m, h), e.g. \"5s\"",
                          "t.yaml:4:19: timeouts.request_header: must be longer than 0",
                          "t.yaml:5:22: timeouts.upstream_response: invalid duration '2days': "
                          "unknown unit 'days' (use ms, s, m, h)",
                          "t.yaml:6:16: timeouts.client_idle: invalid duration '0.5ms': not a "
                          "whole number of milliseconds, or too large",
                          "t.yaml:7:10: timeouts.drain: expected a value, got a list"));
}

TEST(LoaderErrorsTest, SectionOfTheWrongType) {
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\ntimeouts: 5s\n"),
              ElementsAre("t.yaml:2:11: timeouts: expected a mapping, got '5s'"));
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\nupstreams: [a]\n"),
              ElementsAre("t.yaml:2:12: upstreams: expected a mapping, got a list"));
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\nroutes: { a: 1 }\n"),
              ElementsAre("t.yaml:2:9: routes: expected a list of routes, got a mapping"));
}

TEST(LoaderErrorsTest, Limits) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
limits:
  max_head_bytes: 0
  max_request_line: 8x
  max_headers: 129
  max_body_bytes: -1
)"),
              ElementsAre("t.yaml:3:19: limits.max_head_bytes: must be larger than 0",
                          "t.yaml:4:21: limits.max_request_line: invalid size '8x': unknown unit "
                          "'x' (use k, m, g, optionally followed by b or ib: 64m, 64MiB)",
                          "t.yaml:5:16: limits.max_headers: expected a whole number from 1 to "
                          "128, got '129'",
                          "t.yaml:6:19: limits.max_body_bytes: invalid size '-1': expected a "
                          "number with an optional unit (k, m, g), e.g. \"16k\""));
}

TEST(LoaderErrorsTest, Upstreams) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  "bad name":
    backends: ["127.0.0.1:9001"]
  nobackends:
    balance: ewma
  empty:
    backends: []
  api:
    backends:
      - "127.0.0.1:9001"
      - { address: "127.0.0.1:9002", weight: 0 }
      - { address: "127.0.0.1:9003", weight: 1001 }
      - { weight: 2 }
      - "127.0.0.1:9001"
      - ["127.0.0.1:9004"]
      - "[::1]:9005"
      - "[0:0::1]:9005"
      - { address: "db.internal:5432" }
    balance: fastest
    keepalive: { max_idle: -1 }
)"),
      ElementsAre(
          "t.yaml:3:3: upstreams: invalid name 'bad name' (use letters, digits, '_', '.' and "
          "'-')",
          "t.yaml:5:3: upstreams.nobackends: 'backends' is required (at least one address)",
          "t.yaml:8:15: upstreams.empty.backends: at least one backend is required",
          "t.yaml:12:46: upstreams.api.backends[1].weight: expected a whole number from 1 to "
          "1000, got '0'",
          "t.yaml:13:46: upstreams.api.backends[2].weight: expected a whole number from 1 to "
          "1000, got '1001'",
          "t.yaml:14:9: upstreams.api.backends[3]: 'address' is required",
          "t.yaml:15:9: upstreams.api.backends[4]: duplicate backend '127.0.0.1:9001' in "
          "upstream 'api' (first at 11:9)",
          "t.yaml:16:9: upstreams.api.backends[5]: expected an address or { address, weight }, "
          "got a list",
          "t.yaml:18:9: upstreams.api.backends[7]: duplicate backend '[::1]:9005' in upstream "
          "'api' (first at 17:9)",
          "t.yaml:19:20: upstreams.api.backends[8]: invalid address 'db.internal:5432': the "
          "host must be a numeric IPv4 address (names are not resolved)",
          "t.yaml:20:14: upstreams.api.balance: expected one of round_robin, least_request, "
          "ewma, consistent_hash, got 'fastest'",
          "t.yaml:21:28: upstreams.api.keepalive.max_idle: expected a whole number from 0 to "
          "65535, got '-1'"));
}

TEST(LoaderErrorsTest, DuplicateUpstream) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  api: { backends: ["127.0.0.1:9001"] }
  api: { backends: ["127.0.0.1:9002"] }
)"),
              ElementsAre("t.yaml:4:3: upstreams: duplicate upstream 'api' (first at 3:3)"));
}

TEST(LoaderErrorsTest, Hash) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  rr:
    backends: ["127.0.0.1:9001"]
    hash: { by: client_ip }
  noname:
    balance: consistent_hash
    hash: { by: header }
    backends: ["127.0.0.1:9001"]
  extraname:
    balance: consistent_hash
    hash: { by: client_ip, name: x }
    backends: ["127.0.0.1:9001"]
  badby:
    balance: consistent_hash
    hash: { by: uri }
    backends: ["127.0.0.1:9001"]
  noby:
    balance: consistent_hash
    hash: { name: x-user }
    backends: ["127.0.0.1:9001"]
  badname:
    balance: consistent_hash
    hash: { by: cookie, name: "a b" }
    backends: ["127.0.0.1:9001"]
)"),
      ElementsAre(
          "t.yaml:5:5: upstreams.rr: 'hash' applies only to balance: consistent_hash",
          "t.yaml:8:13: upstreams.noname.hash: 'name' is required with by: header",
          "t.yaml:12:28: upstreams.extraname.hash: 'name' is not used with by: client_ip",
          "t.yaml:16:17: upstreams.badby.hash.by: expected one of client_ip, header, cookie, "
          "got 'uri'",
          "t.yaml:20:11: upstreams.noby.hash: 'by' is required (client_ip, header or cookie)",
          "t.yaml:24:31: upstreams.badname.hash.name: 'a b' is not a valid header or cookie "
          "name"));
}

TEST(LoaderErrorsTest, Routes) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  api: { backends: ["127.0.0.1:9001"] }
routes:
  - name: "has space"
    upstream: api
  - match: { path: api }
    upstream: api
  - match: { path: "/a?b", path_prefix: /a }
    upstream: api
  - match: { path_regex: "(" }
    upstream: api
  - match: { host: "api.example.com:8080" }
    upstream: api
  - match: { host: "api.*.com" }
    upstream: api
  - match: { methods: [get, "B@D", POST, POST] }
    upstream: api
  - match: { headers: { x-a: "*", "bad header": x } }
    upstream: api
  - match: { path_prefix: /x }
  - upstream: nope
  - upstream: api
    max_body: lots
  - just a string
)"),
      ElementsAre(
          "t.yaml:5:11: routes[0].name: invalid name 'has space' (use letters, digits, '_', '.' "
          "and '-')",
          "t.yaml:7:20: routes[1].match.path: invalid path 'api': it must start with '/'",
          "t.yaml:9:20: routes[2].match.path: invalid path '/a?b': '?' is not allowed (routes "
          "match the path without the query)",
          "t.yaml:9:28: routes[2].match: 'path_prefix' conflicts with 'path' (use at most one "
          "of path, path_prefix, path_regex)",
          "t.yaml:11:26: routes[3].match.path_regex: invalid regular expression: missing ): (",
          "t.yaml:13:20: routes[4].match.host: invalid host 'api.example.com:8080': a port is "
          "not allowed (requests are matched on the host without it)",
          "t.yaml:15:20: routes[5].match.host: invalid host 'api.*.com': a wildcard is only "
          "allowed as a leading \"*.\", e.g. \"*.example.com\"",
          "t.yaml:17:24: routes[6].match.methods[0]: methods are case-sensitive; did you mean "
          "'GET'?",
          "t.yaml:17:29: routes[6].match.methods[1]: 'B@D' is not a valid method token",
          "t.yaml:17:42: routes[6].match.methods[3]: duplicate method 'POST'",
          "t.yaml:19:35: routes[7].match.headers: 'bad header' is not a valid header name",
          "t.yaml:21:5: routes[8]: 'upstream' is required",
          "t.yaml:22:15: routes[9].upstream: unknown upstream 'nope' (defined: api)",
          "t.yaml:24:15: routes[10].max_body: invalid size 'lots': expected a number with an "
          "optional unit (k, m, g), e.g. \"16k\"",
          "t.yaml:25:5: routes[11]: expected a mapping with match and upstream, got 'just a "
          "string'"));
}

TEST(LoaderErrorsTest, RouteShapes) {
  EXPECT_THAT(
      errorsOf(R"(listen: "127.0.0.1:8080"
upstreams: { api: { backends: ["127.0.0.1:9001"] } }
routes:
  - { match: { methods: GET }, upstream: api }
  - { match: { methods: [] }, upstream: api }
  - { match: { headers: [x] }, upstream: api }
  - { match: /api, upstream: api }
  - { upstream: [api] }
  - { match: { host: "" }, upstream: api }
  - { match: { path_prefix: "/a b" }, upstream: api }
  - { match: { path: "/a", path: "/b" }, upstream: api }
)"),
      ElementsAre(
          "t.yaml:4:25: routes[0].match.methods: expected a list of methods such as [GET, "
          "POST], got 'GET'",
          "t.yaml:5:25: routes[1].match.methods: an empty list would match no request; leave "
          "methods out to match any method",
          "t.yaml:6:25: routes[2].match.headers: expected a mapping, got a list",
          "t.yaml:7:14: routes[3].match: expected a mapping, got '/api'",
          "t.yaml:8:17: routes[4].upstream: expected a value, got a list",
          "t.yaml:9:22: routes[5].match.host: invalid host '': it is empty",
          "t.yaml:10:29: routes[6].match.path_prefix: invalid path '/a b': spaces and control "
          "characters are not allowed",
          "t.yaml:11:28: routes[7].match: duplicate key 'path' (first at 11:16)"));
}

TEST(LoaderErrorsTest, UnknownUpstreamWhenNoneAreDefined) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
routes:
  - upstream: api
)"),
              ElementsAre("t.yaml:3:15: routes[0].upstream: unknown upstream 'api' (no upstreams "
                          "are defined)"));
}

TEST(LoaderErrorsTest, DuplicateRouteNames) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
upstreams: { api: { backends: ["127.0.0.1:9001"] } }
routes:
  - name: a
    upstream: api
  - name: a
    upstream: api
  - name: route3
    upstream: api
  - upstream: api
)"),
              ElementsAre("t.yaml:6:11: routes[1].name: duplicate route name 'a' (also "
                          "routes[0])",
                          "t.yaml:8:11: routes[2].name: route name 'route3' is also the default "
                          "name of routes[3]"));
}

TEST(LoaderErrorsTest, ManyErrorsAtOnceInFileOrder) {
  // Upstreams come after the routes that use them; errors still come out in file order.
  std::vector<std::string> errors = errorsOf(R"(listen: "127.0.0.1:80800"
workers: zero
routes:
  - match: { path: nope }
    upstream: missing
upstreams:
  api:
    backends: ["127.0.0.1:9001"]
    balance: random
timeouts: { connect: 1 }
colour: blue
)");
  EXPECT_THAT(
      errors,
      ElementsAre(
          "t.yaml:1:9: listen: invalid address '127.0.0.1:80800': the port must be a "
          "number from 1 to 65535",
          "t.yaml:2:10: workers: expected 'auto' or a whole number from 1 to 256, got "
          "'zero'",
          "t.yaml:4:20: routes[0].match.path: invalid path 'nope': it must start with '/'",
          "t.yaml:5:15: routes[0].upstream: unknown upstream 'missing' (defined: api)",
          "t.yaml:9:14: upstreams.api.balance: expected one of round_robin, "
          "least_request, ewma, consistent_hash, got 'random'",
          "t.yaml:10:22: timeouts.connect: invalid duration '1': a unit is required (ms, "
          "s, m, h), e.g. \"1s\"",
          "t.yaml:11:1: top level: unknown key 'colour' (allowed: listen, workers, "
          "log_level, timeouts, limits, upstreams, routes, lua, admin, access_log, metrics)"));
}

TEST(LoaderErrorsTest, SyntaxErrorPosition) {
  EXPECT_THAT(errorsOf("listen: [\"127.0.0.1:8080\"\nworkers: 2\n"),
              ElementsAre("t.yaml:2:1: YAML syntax error: end of sequence flow not found"));
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\nworkers: 2\n  log_level: info\n"),
              ElementsAre("t.yaml:3:12: YAML syntax error: illegal map value"));
}

TEST(LoaderErrorsTest, EmptyDocument) {
  EXPECT_THAT(errorsOf(""),
              ElementsAre("t.yaml:1:1: the configuration is empty; 'listen' is required"));
  EXPECT_THAT(errorsOf("# only a comment\n"),
              ElementsAre("t.yaml:1:1: the configuration is empty; 'listen' is required"));
}

TEST(LoaderErrorsTest, RootMustBeAMapping) {
  EXPECT_THAT(errorsOf("- listen\n"),
              ElementsAre("t.yaml:1:1: the configuration must be a mapping of keys (listen, "
                          "workers, log_level, timeouts, limits, upstreams, routes, lua, admin, "
                          "access_log, metrics), got a list"));
}

TEST(LoaderErrorsTest, OneDocumentOnly) {
  EXPECT_THAT(errorsOf("listen: \"127.0.0.1:8080\"\n---\nlisten: \"127.0.0.1:8081\"\n"),
              ElementsAre("t.yaml:3:1: only one YAML document is allowed per configuration "
                          "file"));
}

}  // namespace
}  // namespace tidegate::config
