// The scripts in examples/lua/, run through the fake contexts.

#include <gtest/gtest.h>

#include "fake_contexts.h"
#include "lua/shared_dict.h"

namespace tidegate::lua {
namespace {

using testing::FakeBackend;
using testing::FakeBackendSet;
using testing::FakeRequest;
using testing::FakeResponse;

std::shared_ptr<const ScriptSource> example(const std::string& name) {
  auto source = ScriptSource::fromFile(std::string(TIDEGATE_SOURCE_DIR) + "/examples/lua/" + name);
  EXPECT_TRUE(source.ok()) << source.error().message();
  return source.value();
}

class ExamplesTest : public ::testing::Test {
 protected:
  ExamplesTest() {
    dicts_.add("ratelimit", 1 << 20);
    dicts_.add("cache", 1 << 20);
    VmOptions options;
    options.shared_dicts = &dicts_;
    options.now = [this] { return now_; };
    vm_ = testing::makeVm(options);
  }
  std::unique_ptr<Script> load(const std::string& name) {
    auto script = Script::load(*vm_, example(name));
    EXPECT_TRUE(script.ok()) << script.error().message();
    return script.ok() ? std::move(script.value()) : nullptr;
  }

  int64_t now_ms_ = 5'000'000;
  double now_ = 1'800'000'000.0;
  SharedDicts dicts_{[this] { return now_ms_; }};
  std::unique_ptr<LuaVm> vm_;
};

TEST_F(ExamplesTest, LeastLoadedPicksFewestInflightThenLowestLatency) {
  auto script = load("least_loaded.lua");
  int pool = 0;
  FakeBackend a("a", 4, 5.0), b("b", 2, 30.0), c("c", 2, 10.0), d("d", 7, 1.0);
  auto set = std::make_shared<FakeBackendSet>(&pool, 1, std::vector<FakeBackend*>{&a, &b, &c, &d});
  FakeRequest req;
  EXPECT_EQ(runBalance(*script, req, set), 2);  // c: 2 in flight, 10 ms beats b's 30 ms
  c.healthy_ = false;
  EXPECT_EQ(runBalance(*script, req, set), 1);  // b
  b.inflight_ = 9;
  EXPECT_EQ(runBalance(*script, req, set), 0);  // a
  a.healthy_ = b.healthy_ = d.healthy_ = false;
  EXPECT_EQ(runBalance(*script, req, set), kBalanceFallback);
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

TEST_F(ExamplesTest, RateLimitPerKeyAndPerIp) {
  auto script = load("rate_limit_per_key.lua");
  now_ = 1'800'000'000.0;  // the start of a window
  FakeRequest keyed;
  keyed.headers_ = {{"X-Api-Key", "alice"}};
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(runOnRequest(*script, keyed).action, HookAction::kContinue) << i;
  }
  HookOutcome limited = runOnRequest(*script, keyed);
  ASSERT_EQ(limited.action, HookAction::kRespond);
  EXPECT_EQ(keyed.responded_->status, 429);
  EXPECT_EQ(keyed.responded_->body, "rate limit exceeded\n");

  // Another key, and a request without a key (limited by IP), are unaffected.
  FakeRequest bob;
  bob.headers_ = {{"X-Api-Key", "bob"}};
  EXPECT_EQ(runOnRequest(*script, bob).action, HookAction::kContinue);
  FakeRequest anonymous;
  anonymous.client_ip_ = "198.51.100.4";
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(runOnRequest(*script, anonymous).action, HookAction::kContinue);
  }
  EXPECT_EQ(runOnRequest(*script, anonymous).action, HookAction::kRespond);

  // Half a window later the previous window still weighs half: 50 more pass, then 429.
  now_ += 1.5;
  FakeRequest again;
  again.headers_ = {{"X-Api-Key", "alice"}};
  int passed = 0;
  while (runOnRequest(*script, again).action == HookAction::kContinue && passed < 200)
    ++passed;
  EXPECT_GE(passed, 48);
  EXPECT_LE(passed, 52);
  // Two windows later everything is forgotten.
  now_ += 2;
  now_ms_ += 5000;
  FakeRequest later;
  later.headers_ = {{"X-Api-Key", "alice"}};
  EXPECT_EQ(runOnRequest(*script, later).action, HookAction::kContinue);
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

TEST_F(ExamplesTest, RateLimitNeedsItsDict) {
  VmOptions options;  // no shared dicts
  auto vm = testing::makeVm(options);
  auto script = Script::load(*vm, example("rate_limit_per_key.lua"));
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.error().message().find("needs a shared dict named 'ratelimit'"),
            std::string::npos);
}

TEST_F(ExamplesTest, CacheGetMissThenHitThenExpiry) {
  auto script = load("cache_get.lua");
  auto fetch = [&](FakeRequest& req, FakeResponse& resp, const std::string& body) {
    HookOutcome out = runOnRequest(*script, req);
    if (out.action == HookAction::kRespond) return out;
    out = runOnResponse(*script, req, resp);
    resp.body_ = body;
    runOnLog(*script, req, resp, LogTimings{});
    return out;
  };
  FakeRequest r1;
  r1.path_ = "/items";
  r1.query_ = "page=2";
  FakeResponse resp1;
  resp1.headers_ = {{"Content-Type", "application/json"}};
  EXPECT_EQ(fetch(r1, resp1, "[1,2,3]").action, HookAction::kContinue);
  EXPECT_EQ(resp1.header("x-cache"), "MISS");
  EXPECT_EQ(resp1.keep_body_, 256u * 1024);

  FakeRequest r2;
  r2.path_ = "/items";
  r2.query_ = "page=2";
  FakeResponse resp2;
  EXPECT_EQ(fetch(r2, resp2, "").action, HookAction::kRespond);
  ASSERT_TRUE(r2.responded_);
  EXPECT_EQ(r2.responded_->status, 200);
  EXPECT_EQ(r2.responded_->body, "[1,2,3]");
  auto headers = r2.responded_->headers;
  std::sort(headers.begin(), headers.end());
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].second, "application/json");
  EXPECT_EQ(headers[1], std::make_pair(std::string("X-Cache"), std::string("HIT")));

  // Another query is another entry.
  FakeRequest r3;
  r3.path_ = "/items";
  FakeResponse resp3;
  EXPECT_EQ(fetch(r3, resp3, "other").action, HookAction::kContinue);

  now_ms_ += 10'000;  // TTL
  FakeRequest r4;
  r4.path_ = "/items";
  r4.query_ = "page=2";
  FakeResponse resp4;
  EXPECT_EQ(fetch(r4, resp4, "[4]").action, HookAction::kContinue);
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

TEST_F(ExamplesTest, CacheGetSkipsWhatMustNotBeCached) {
  auto script = load("cache_get.lua");
  auto missTwice = [&](auto prepare) {
    for (int i = 0; i < 2; ++i) {
      FakeRequest req;
      req.path_ = "/private";
      FakeResponse resp;
      prepare(req, resp);
      HookOutcome out = runOnRequest(*script, req);
      if (out.action == HookAction::kRespond) return false;
      runOnResponse(*script, req, resp);
      resp.body_ = "secret";
      runOnLog(*script, req, resp, LogTimings{});
    }
    return true;
  };
  EXPECT_TRUE(missTwice([](FakeRequest& req, FakeResponse&) { req.method_ = "POST"; }));
  EXPECT_TRUE(missTwice([](FakeRequest& req, FakeResponse&) {
    req.headers_ = {{"Authorization", "Bearer x"}};
  }));
  EXPECT_TRUE(missTwice([](FakeRequest&, FakeResponse& resp) { resp.status_ = 404; }));
  EXPECT_TRUE(missTwice([](FakeRequest&, FakeResponse& resp) {
    resp.headers_ = {{"Cache-Control", "private, max-age=60"}};
  }));
  EXPECT_TRUE(missTwice([](FakeRequest&, FakeResponse& resp) {
    resp.headers_ = {{"Set-Cookie", "s=1"}};
  }));
  EXPECT_EQ(dicts_.find("cache")->size(), 0u);
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

TEST_F(ExamplesTest, CanaryByHeaderAndByStickyPercentage) {
  auto script = load("canary.lua");
  FakeRequest forced;
  forced.headers_ = {{"X-Canary", "always"}};
  runOnRequest(*script, forced);
  EXPECT_EQ(forced.upstream_, "canary");

  // About 5% of clients, each always the same way.
  int canaried = 0;
  for (int i = 0; i < 2000; ++i) {
    FakeRequest req;
    req.client_ip_ = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    runOnRequest(*script, req);
    FakeRequest again = req;
    again.upstream_ = "api";
    runOnRequest(*script, again);
    EXPECT_EQ(req.upstream_, again.upstream_);
    if (req.upstream_ == "canary") {
      ++canaried;
      FakeRequest never = req;
      never.upstream_ = "api";
      never.headers_ = {{"X-Canary", "never"}};
      runOnRequest(*script, never);
      EXPECT_EQ(never.upstream_, "api");
    }
  }
  EXPECT_GT(canaried, 40);
  EXPECT_LT(canaried, 200);

  // Without a canary pool the request stays where it was, with a warning.
  FakeRequest nowhere;
  nowhere.pools_ = {"api"};
  nowhere.headers_ = {{"X-Canary", "always"}};
  EXPECT_EQ(runOnRequest(*script, nowhere).action, HookAction::kContinue);
  EXPECT_EQ(nowhere.upstream_, "api");
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

TEST_F(ExamplesTest, EveryExamplePassesTheScriptSetCheck) {
  std::vector<ScriptSet::Entry> entries;
  for (const char* name :
       {"least_loaded.lua", "rate_limit_per_key.lua", "cache_get.lua", "canary.lua"}) {
    entries.push_back({name, example(name)});
  }
  VmOptions options;
  options.shared_dicts = &dicts_;
  auto set = ScriptSet::build(std::move(entries), "", options, 1);
  EXPECT_TRUE(set.ok()) << set.error().message();
}

}  // namespace
}  // namespace tidegate::lua
