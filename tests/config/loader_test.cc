// Valid configurations: what the loader fills in, its defaults, and reading from files.

#include "config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace tidegate::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Config loadOk(std::string_view yaml) {
  LoadResult r = loadConfigString(yaml, "t.yaml");
  for (const Diagnostic& d : r.errors)
    ADD_FAILURE() << d.toString();
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

TEST(LoaderTest, MinimalConfigTakesDefaults) {
  Config cfg = loadOk("listen: \"0.0.0.0:8080\"\n");
  Config defaults;
  EXPECT_EQ(cfg.source_path, "t.yaml");
  EXPECT_THAT(cfg.listen, ElementsAre("0.0.0.0:8080"));
  EXPECT_EQ(cfg.workers, 0u);
  EXPECT_EQ(cfg.log_level, "info");
  EXPECT_EQ(cfg.timeouts.connect_ms, defaults.timeouts.connect_ms);
  EXPECT_EQ(cfg.timeouts.request_header_ms, defaults.timeouts.request_header_ms);
  EXPECT_EQ(cfg.timeouts.upstream_response_ms, defaults.timeouts.upstream_response_ms);
  EXPECT_EQ(cfg.timeouts.client_idle_ms, defaults.timeouts.client_idle_ms);
  EXPECT_EQ(cfg.timeouts.upstream_idle_ms, defaults.timeouts.upstream_idle_ms);
  EXPECT_EQ(cfg.timeouts.drain_ms, defaults.timeouts.drain_ms);
  EXPECT_EQ(cfg.limits.max_head_bytes, 16u * 1024);
  EXPECT_EQ(cfg.limits.max_request_line, 8u * 1024);
  EXPECT_EQ(cfg.limits.max_headers, 100u);
  EXPECT_EQ(cfg.limits.max_body_bytes, 1024ull * 1024 * 1024);
  EXPECT_THAT(cfg.upstreams, IsEmpty());
  EXPECT_THAT(cfg.routes, IsEmpty());
}

// The example from the design, every field set, read back field by field.
TEST(LoaderTest, FullConfigRoundTrip) {
  Config cfg = loadOk(R"(# tidegate.yaml
listen: ["0.0.0.0:8080", "[::1]:8080"]
workers: 4
log_level: debug
timeouts: { connect: 250ms, request_header: 5s, upstream_response: 1m, client_idle: 1.5m, upstream_idle: 4s, drain: 1h }
limits: { max_head_bytes: 32k, max_request_line: 4KB, max_headers: 50, max_body_bytes: 2g }
upstreams:
  api:
    backends: ["127.0.0.1:9001", { address: "127.0.0.1:9002", weight: 2 }]
    balance: least_request
    keepalive: { max_idle: 16 }
  users:
    backends: ["[::1]:9003"]
    balance: consistent_hash
    hash: { by: header, name: X-User }
  sessions:
    backends: ["127.0.0.1:9004"]
    balance: consistent_hash
    hash: { by: cookie, name: SessionId }
  static:
    backends: ["127.0.0.1:9005"]
    balance: ewma
routes:
  - name: api
    match: { host: "*.Example.com", path_prefix: "/api/", methods: [GET, POST], headers: { X-Canary: "1", x-debug: "*" } }
    upstream: api
    max_body: 10m
  - match: { host: "users.example.com", path_regex: "/u/[0-9]+" }
    upstream: users
  - match: { path: /login }
    upstream: sessions
  - upstream: static
)");
  EXPECT_THAT(cfg.listen, ElementsAre("0.0.0.0:8080", "[::1]:8080"));
  EXPECT_EQ(cfg.workers, 4u);
  EXPECT_EQ(cfg.log_level, "debug");

  EXPECT_EQ(cfg.timeouts.connect_ms, 250);
  EXPECT_EQ(cfg.timeouts.request_header_ms, 5000);
  EXPECT_EQ(cfg.timeouts.upstream_response_ms, 60000);
  EXPECT_EQ(cfg.timeouts.client_idle_ms, 90000);
  EXPECT_EQ(cfg.timeouts.upstream_idle_ms, 4000);
  EXPECT_EQ(cfg.timeouts.drain_ms, 3600000);

  EXPECT_EQ(cfg.limits.max_head_bytes, 32u * 1024);
  EXPECT_EQ(cfg.limits.max_request_line, 4u * 1024);
  EXPECT_EQ(cfg.limits.max_headers, 50u);
  EXPECT_EQ(cfg.limits.max_body_bytes, 2ull * 1024 * 1024 * 1024);

  ASSERT_EQ(cfg.upstreams.size(), 4u);
  const UpstreamConfig& api = cfg.upstreams[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.balance, Balance::kLeastRequest);
  EXPECT_EQ(api.keepalive_max_idle, 16u);
  ASSERT_EQ(api.backends.size(), 2u);
  EXPECT_EQ(api.backends[0].address, "127.0.0.1:9001");
  EXPECT_EQ(api.backends[0].weight, 1u);
  EXPECT_EQ(api.backends[1].address, "127.0.0.1:9002");
  EXPECT_EQ(api.backends[1].weight, 2u);
  EXPECT_EQ(api.mark.line, 8);
  EXPECT_EQ(api.mark.column, 3);
  EXPECT_EQ(api.backends[1].mark.line, 9);
  EXPECT_EQ(api.backends[1].mark.column, 34);
  EXPECT_EQ(api.backends[1].mark.file, "t.yaml");

  const UpstreamConfig& users = cfg.upstreams[1];
  EXPECT_EQ(users.name, "users");
  EXPECT_EQ(users.balance, Balance::kConsistentHash);
  EXPECT_EQ(users.hash_by, HashBy::kHeader);
  EXPECT_EQ(users.hash_name, "x-user");  // header names are lower-cased
  EXPECT_EQ(users.keepalive_max_idle, 64u);
  ASSERT_EQ(users.backends.size(), 1u);
  EXPECT_EQ(users.backends[0].address, "[::1]:9003");

  const UpstreamConfig& sessions = cfg.upstreams[2];
  EXPECT_EQ(sessions.hash_by, HashBy::kCookie);
  EXPECT_EQ(sessions.hash_name, "SessionId");  // cookie names keep their case
  EXPECT_EQ(cfg.upstreams[3].balance, Balance::kEwma);
  EXPECT_EQ(cfg.upstreams[3].hash_by, HashBy::kClientIp);

  ASSERT_EQ(cfg.routes.size(), 4u);
  const RouteConfig& r0 = cfg.routes[0];
  EXPECT_EQ(r0.name, "api");
  EXPECT_EQ(r0.upstream, "api");
  EXPECT_EQ(r0.match.host, "*.example.com");
  EXPECT_EQ(r0.match.path_prefix, "/api/");
  EXPECT_FALSE(r0.match.path.has_value());
  EXPECT_FALSE(r0.match.path_regex.has_value());
  EXPECT_THAT(r0.match.methods, ElementsAre("GET", "POST"));
  ASSERT_EQ(r0.match.headers.size(), 2u);
  EXPECT_EQ(r0.match.headers[0].name, "x-canary");
  EXPECT_EQ(r0.match.headers[0].value, "1");
  EXPECT_FALSE(r0.match.headers[0].present_only);
  EXPECT_EQ(r0.match.headers[1].name, "x-debug");
  EXPECT_EQ(r0.match.headers[1].value, "");
  EXPECT_TRUE(r0.match.headers[1].present_only);
  EXPECT_EQ(r0.max_body_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(r0.mark.line, 24);
  EXPECT_EQ(r0.mark.column, 5);

  const RouteConfig& r1 = cfg.routes[1];
  EXPECT_EQ(r1.name, "route1");
  EXPECT_EQ(r1.match.host, "users.example.com");
  EXPECT_EQ(r1.match.path_regex, "/u/[0-9]+");
  EXPECT_FALSE(r1.max_body_bytes.has_value());

  EXPECT_EQ(cfg.routes[2].name, "route2");
  EXPECT_EQ(cfg.routes[2].match.path, "/login");
  EXPECT_EQ(cfg.routes[2].upstream, "sessions");

  const RouteConfig& r3 = cfg.routes[3];
  EXPECT_EQ(r3.name, "route3");
  EXPECT_FALSE(r3.match.host.has_value());
  EXPECT_FALSE(r3.match.path.has_value());
  EXPECT_FALSE(r3.match.path_prefix.has_value());
  EXPECT_THAT(r3.match.methods, IsEmpty());
  EXPECT_THAT(r3.match.headers, IsEmpty());
}

TEST(LoaderTest, ListenAsSingleStringAndCanonicalAddresses) {
  Config cfg = loadOk("listen: \"[0:0:0:0:0:0:0:1]:08080\"\n");
  EXPECT_THAT(cfg.listen, ElementsAre("[::1]:8080"));
}

TEST(LoaderTest, WorkersAuto) {
  EXPECT_EQ(loadOk("listen: \"127.0.0.1:1\"\nworkers: auto\n").workers, 0u);
  EXPECT_EQ(loadOk("listen: \"127.0.0.1:1\"\nworkers: 1\n").workers, 1u);
  EXPECT_EQ(loadOk("listen: \"127.0.0.1:1\"\nworkers: 256\n").workers, 256u);
}

TEST(LoaderTest, EveryLogLevel) {
  for (const char* level : {"debug", "info", "warn", "error"}) {
    EXPECT_EQ(loadOk(std::string("listen: \"127.0.0.1:1\"\nlog_level: ") + level + "\n").log_level,
              level);
  }
}

TEST(LoaderTest, EveryBalance) {
  Config cfg = loadOk(R"(listen: "127.0.0.1:1"
upstreams:
  a: { backends: ["127.0.0.1:2"], balance: round_robin }
  b: { backends: ["127.0.0.1:2"], balance: least_request }
  c: { backends: ["127.0.0.1:2"], balance: ewma }
  d: { backends: ["127.0.0.1:2"], balance: consistent_hash }
  e: { backends: ["127.0.0.1:2"] }
)");
  ASSERT_EQ(cfg.upstreams.size(), 5u);
  EXPECT_EQ(cfg.upstreams[0].balance, Balance::kRoundRobin);
  EXPECT_EQ(cfg.upstreams[1].balance, Balance::kLeastRequest);
  EXPECT_EQ(cfg.upstreams[2].balance, Balance::kEwma);
  EXPECT_EQ(cfg.upstreams[3].balance, Balance::kConsistentHash);
  EXPECT_EQ(cfg.upstreams[3].hash_by, HashBy::kClientIp);  // the default key
  EXPECT_EQ(cfg.upstreams[4].balance, Balance::kRoundRobin);
}

TEST(LoaderTest, RoutesMayNameUpstreamsDefinedLater) {
  Config cfg = loadOk(R"(listen: "127.0.0.1:1"
routes:
  - upstream: late
upstreams:
  late: { backends: ["127.0.0.1:2"] }
)");
  ASSERT_EQ(cfg.routes.size(), 1u);
  EXPECT_EQ(cfg.routes[0].upstream, "late");
}

TEST(LoaderTest, QuotedAndPlainScalarsAreTheSame) {
  Config cfg = loadOk(R"(listen: "127.0.0.1:1"
workers: "3"
upstreams:
  u.v-1_x: { backends: [{ address: 127.0.0.1:2, weight: "7" }], keepalive: { max_idle: 0 } }
routes:
  - { match: { headers: { x-n: 1 } }, upstream: u.v-1_x, max_body: 0 }
)");
  EXPECT_EQ(cfg.workers, 3u);
  EXPECT_EQ(cfg.upstreams[0].name, "u.v-1_x");
  EXPECT_EQ(cfg.upstreams[0].backends[0].weight, 7u);
  EXPECT_EQ(cfg.upstreams[0].keepalive_max_idle, 0u);
  EXPECT_EQ(cfg.routes[0].match.headers[0].value, "1");
  EXPECT_EQ(cfg.routes[0].max_body_bytes, 0u);
}

TEST(LoaderTest, HostPatterns) {
  Config cfg = loadOk(R"(listen: "127.0.0.1:1"
upstreams: { u: { backends: ["127.0.0.1:2"] } }
routes:
  - { match: { host: API.Example.COM }, upstream: u }
  - { match: { host: "*.example.com" }, upstream: u }
  - { match: { host: "10.0.0.1" }, upstream: u }
  - { match: { host: "[::1]" }, upstream: u }
)");
  ASSERT_EQ(cfg.routes.size(), 4u);
  EXPECT_EQ(cfg.routes[0].match.host, "api.example.com");
  EXPECT_EQ(cfg.routes[1].match.host, "*.example.com");
  EXPECT_EQ(cfg.routes[2].match.host, "10.0.0.1");
  EXPECT_EQ(cfg.routes[3].match.host, "[::1]");
}

TEST(DiagnosticTest, ToString) {
  EXPECT_EQ((Diagnostic{"gw.yaml", 12, 5, "bad"}).toString(), "gw.yaml:12:5: bad");
  EXPECT_EQ((Diagnostic{"gw.yaml", 0, 0, "cannot read"}).toString(), "gw.yaml: cannot read");
}

class LoaderFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tidegate_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(LoaderFileTest, LoadsAFile) {
  std::string path = write("ok.yaml",
                           "listen: \"127.0.0.1:8080\"\nupstreams:\n  u: { backends: "
                           "[\"127.0.0.1:9001\"] }\n");
  LoadResult r = loadConfigFile(path);
  EXPECT_THAT(r.errors, IsEmpty());
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->source_path, path);
  EXPECT_EQ(r.config->upstreams[0].mark.file, path);
  EXPECT_EQ(r.config->upstreams[0].mark.line, 3);
}

TEST_F(LoaderFileTest, ErrorsNameTheFile) {
  std::string path = write("bad.yaml", "listen: \"127.0.0.1:8080\"\nworkers: none\n");
  LoadResult r = loadConfigFile(path);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].toString(),
            path + ":2:10: workers: expected 'auto' or a whole number from 1 to 256, got 'none'");
}

TEST_F(LoaderFileTest, MissingFileIsOneDiagnostic) {
  std::string path = (dir_ / "absent.yaml").string();
  LoadResult r = loadConfigFile(path);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, path);
  EXPECT_EQ(r.errors[0].line, 0);
  EXPECT_EQ(r.errors[0].toString(),
            path + ": cannot read configuration: No such file or directory");
}

TEST_F(LoaderFileTest, DirectoryIsOneDiagnostic) {
  LoadResult r = loadConfigFile(dir_.string());
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].toString(),
            dir_.string() + ": cannot read configuration: it is a directory");
}

TEST_F(LoaderFileTest, UnreadableFileIsOneDiagnostic) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  std::string path = write("secret.yaml", "listen: \"127.0.0.1:8080\"\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  LoadResult r = loadConfigFile(path);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].toString(), path + ": cannot read configuration: Permission denied");
}

}  // namespace
}  // namespace tidegate::config
