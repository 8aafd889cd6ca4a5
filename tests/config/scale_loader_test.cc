// The `scale:` block of an upstream: what a valid block turns into, and every way it can be
// wrong, each with the file:line:col a user sees.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/loader.h"
#include "errors_of.h"

namespace tidegate::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;

std::string withScale(std::string_view scale) {
  return std::string(R"(listen: "127.0.0.1:8080"
upstreams:
  app:
    scale:
)") + std::string(scale);
}

const char* kProcess = R"(      process:
        command: "tidegate-echo --port {port}"
        ports: 9100-9109
)";

TEST(ScaleLoaderTest, FullBlock) {
  LoadResult r = loadConfigString(R"(listen: "127.0.0.1:8080"
upstreams:
  app:
    balance: least_request
    backends: []
    scale:
      provider: process
      min: 2
      max: 6
      interval: 500ms
      cooldown: { up: 0s, down: 10s }
      dry_run: true
      policy: { builtin: concurrency, target: 8, stable_window: 60s, panic_threshold: 2.5, name: "8" }
      process:
        command: "tidegate-echo --port {port} --slots 4"
        ports: 9100-9199
        host: 127.0.0.1
        readiness: { path: /ready, interval: 50ms, timeout: 2s }
        start_timeout: 20s
        drain_timeout: 15s
        stop_grace: 3s
        restart_backoff: { min: 1s, max: 1m }
        log_dir: /tmp/tg-app
)",
                                  "t.yaml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const UpstreamConfig& up = r.config->upstreams.at(0);
  EXPECT_TRUE(up.backends.empty());
  ASSERT_TRUE(up.scale.has_value());
  const ScaleConfig& s = *up.scale;
  EXPECT_EQ(s.provider, "process");
  EXPECT_EQ(s.min, 2u);
  EXPECT_EQ(s.max, 6u);
  EXPECT_EQ(s.interval_ms, 500);
  EXPECT_EQ(s.cooldown_up_ms, 0);
  EXPECT_EQ(s.cooldown_down_ms, 10000);
  EXPECT_TRUE(s.dry_run);
  EXPECT_EQ(s.policy.kind, PolicyConfig::Kind::kBuiltin);
  EXPECT_EQ(s.policy.name, "concurrency");
  EXPECT_EQ(s.policy.mark.line, 13);
  nlohmann::json params = nlohmann::json::parse(s.policy.params_json);
  EXPECT_EQ(params["target"], 8);
  EXPECT_EQ(params["stable_window"], "60s");
  EXPECT_DOUBLE_EQ(params["panic_threshold"].get<double>(), 2.5);
  EXPECT_EQ(params["name"], "8") << "a quoted scalar stays a string";
  EXPECT_EQ(s.process.command, "tidegate-echo --port {port} --slots 4");
  EXPECT_EQ(s.process.port_min, 9100);
  EXPECT_EQ(s.process.port_max, 9199);
  EXPECT_EQ(s.process.readiness_path, "/ready");
  EXPECT_EQ(s.process.readiness_interval_ms, 50);
  EXPECT_EQ(s.process.readiness_timeout_ms, 2000);
  EXPECT_EQ(s.process.start_timeout_ms, 20000);
  EXPECT_EQ(s.process.drain_timeout_ms, 15000);
  EXPECT_EQ(s.process.stop_grace_ms, 3000);
  EXPECT_EQ(s.process.restart_backoff_min_ms, 1000);
  EXPECT_EQ(s.process.restart_backoff_max_ms, 60000);
  EXPECT_EQ(s.process.log_dir, "/tmp/tg-app");
}

TEST(ScaleLoaderTest, DefaultsAndNoBackendsKey) {
  LoadResult r =
      loadConfigString(withScale("      max: 3\n      policy: concurrency\n") + kProcess, "t.yaml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].toString());
  const ScaleConfig& s = *r.config->upstreams.at(0).scale;
  EXPECT_EQ(s.min, 1u);
  EXPECT_EQ(s.interval_ms, 1000);
  EXPECT_FALSE(s.dry_run);
  EXPECT_EQ(s.policy.name, "concurrency");
  EXPECT_EQ(s.policy.params_json, "{}");
  EXPECT_EQ(s.process.readiness_path, "/healthz");
}

TEST(ScaleLoaderTest, LuaPolicies) {
  LoadResult file = loadConfigString(
      withScale("      max: 3\n      policy: { file: p/my.lua, params: { target: 5 } }\n") +
          kProcess,
      "t.yaml");
  ASSERT_TRUE(file.config.has_value()) << (file.errors.empty() ? "" : file.errors[0].toString());
  const PolicyConfig& p = file.config->upstreams[0].scale->policy;
  EXPECT_EQ(p.kind, PolicyConfig::Kind::kFile);
  EXPECT_EQ(p.file, "p/my.lua");
  EXPECT_EQ(nlohmann::json::parse(p.params_json)["target"], 5);

  LoadResult shorthand =
      loadConfigString(withScale("      max: 3\n      policy: p/x.lua\n") + kProcess, "t.yaml");
  ASSERT_TRUE(shorthand.config.has_value());
  EXPECT_EQ(shorthand.config->upstreams[0].scale->policy.file, "p/x.lua");

  LoadResult inline_code = loadConfigString(
      withScale("      max: 3\n      policy: { lua: \"return function(ctx) return 2 end\" }\n") +
          kProcess,
      "t.yaml");
  ASSERT_TRUE(inline_code.config.has_value());
  EXPECT_EQ(inline_code.config->upstreams[0].scale->policy.kind, PolicyConfig::Kind::kInline);
  EXPECT_EQ(inline_code.config->upstreams[0].scale->policy.code,
            "return function(ctx) return 2 end");
}

TEST(ScaleLoaderTest, UnknownKeysAtEveryLevel) {
  EXPECT_THAT(errorsOf(withScale(R"(      max: 3
      bogus: 1
      policy: concurrency
      cooldown: { sideways: 1s }
      process:
        command: "x --port {port}"
        ports: 9100-9109
        readiness: { port: 1 }
)")),
              ElementsAre(HasSubstr("t.yaml:6:7: upstreams.app.scale: unknown key 'bogus'"),
                          HasSubstr("t.yaml:8:19: upstreams.app.scale.cooldown: unknown key "
                                    "'sideways' (allowed: up, down)"),
                          HasSubstr("t.yaml:12:22: upstreams.app.scale.process.readiness: unknown "
                                    "key 'port'")));
}

TEST(ScaleLoaderTest, BoundsAndRequiredKeys) {
  EXPECT_THAT(
      errorsOf(withScale("      min: 4\n      max: 2\n      policy: concurrency\n") + kProcess),
      ElementsAre("t.yaml:6:7: upstreams.app.scale: max (2) must be at least min (4)"));
  EXPECT_THAT(
      errorsOf(withScale("      min: 0\n      max: 2\n      policy: concurrency\n") + kProcess),
      ElementsAre("t.yaml:5:12: upstreams.app.scale.min: expected a whole number from 1 "
                  "to 1000, got '0'"));
  EXPECT_THAT(errorsOf(withScale("      min: 1\n")),
              ElementsAre(HasSubstr("t.yaml:4:5: upstreams.app.scale: 'max' is required"),
                          HasSubstr("t.yaml:4:5: upstreams.app.scale: 'policy' is required"),
                          HasSubstr("t.yaml:4:5: upstreams.app.scale: 'process' is required")));
}

TEST(ScaleLoaderTest, BadValues) {
  EXPECT_THAT(
      errorsOf(withScale(R"(      max: 20
      interval: 0s
      dry_run: maybe
      provider: kubernetes
      policy: { builtin: hpa }
      process:
        command: "echo hello"
        ports: 9200-9100
)")),
      ElementsAre(HasSubstr("t.yaml:6:17: upstreams.app.scale.interval: must be longer"),
                  HasSubstr("t.yaml:7:16: upstreams.app.scale.dry_run: expected true or "
                            "false, got 'maybe'"),
                  HasSubstr("t.yaml:8:17: upstreams.app.scale.provider: expected 'process'"),
                  HasSubstr("t.yaml:9:26: upstreams.app.scale.policy.builtin: unknown "
                            "built-in policy 'hpa'"),
                  HasSubstr("t.yaml:11:18: upstreams.app.scale.process.command: the "
                            "command must contain {port}"),
                  HasSubstr("t.yaml:12:16: upstreams.app.scale.process.ports: expected a "
                            "port range")));
}

TEST(ScaleLoaderTest, TooFewPortsForMax) {
  EXPECT_THAT(errorsOf(withScale("      max: 20\n      policy: concurrency\n") + kProcess),
              ElementsAre("t.yaml:7:7: upstreams.app.scale.process.ports: 10 port(s) for up to "
                          "20 instances (max); widen the range"));
}

TEST(ScaleLoaderTest, PolicyKindConflictsAndLuaKeys) {
  EXPECT_THAT(
      errorsOf(withScale("      max: 3\n      policy: { file: a.lua, lua: \"x\" }\n") + kProcess),
      ElementsAre(HasSubstr("t.yaml:6:30: upstreams.app.scale.policy: 'lua' conflicts "
                            "with 'file'")));
  EXPECT_THAT(
      errorsOf(withScale("      max: 3\n      policy: { file: a.lua, target: 3 }\n") + kProcess),
      ElementsAre(HasSubstr("t.yaml:6:30: upstreams.app.scale.policy: unknown key 'target' "
                            "(allowed with a Lua policy: file, params)")));
  EXPECT_THAT(errorsOf(withScale("      max: 3\n      policy: { target: 3 }\n") + kProcess),
              ElementsAre(HasSubstr("t.yaml:6:15: upstreams.app.scale.policy: one of 'builtin', "
                                    "'file' or 'lua' is required")));
  EXPECT_THAT(errorsOf(withScale("      max: 3\n      policy: fastest\n") + kProcess),
              ElementsAre(HasSubstr("t.yaml:6:15: upstreams.app.scale.policy: unknown policy "
                                    "'fastest'")));
}

TEST(ScaleLoaderTest, StaticBackendsWithScaleAreRefused) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  app:
    backends: ["127.0.0.1:9001"]
    scale: { max: 2, policy: concurrency, process: { command: "x {port}", ports: 9100-9101 } }
)"),
              ElementsAre("t.yaml:3:3: upstreams.app: 'backends' cannot be listed with 'scale' "
                          "(the provider supplies them)"));
}

TEST(ScaleLoaderTest, UnscaledUpstreamStillNeedsBackends) {
  EXPECT_THAT(errorsOf(R"(listen: "127.0.0.1:8080"
upstreams:
  app:
    backends: []
)"),
              ElementsAre(HasSubstr("upstreams.app.backends: at least one backend is required")));
}

}  // namespace
}  // namespace tidegate::config
