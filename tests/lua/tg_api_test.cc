// tg.var, tg.respond, tg.log, print.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::FakeRequest;
using testing::FakeResponse;

TEST(TgVarTest, PassedBetweenTheHooksOfOneRequest) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm, R"(
    return {
      on_request = function(req) tg.var.user = req:header('x-user') end,
      balance = function(req, backends) tg.var.balanced = true end,
      on_response = function(req, resp) resp:set_header('X-User', tg.var.user) end,
      on_log = function(req, resp) assert(tg.var.balanced and tg.var.user) end,
    })");
  FakeRequest a, b;
  a.headers_ = {{"X-User", "alice"}};
  b.headers_ = {{"X-User", "bob"}};
  int pool = 0;
  auto set =
      std::make_shared<testing::FakeBackendSet>(&pool, 1, std::vector<testing::FakeBackend*>{});
  // Interleaved, as on a worker serving two requests at once.
  EXPECT_EQ(runOnRequest(*script, a).action, HookAction::kContinue);
  EXPECT_EQ(runOnRequest(*script, b).action, HookAction::kContinue);
  EXPECT_EQ(runBalance(*script, b, set), kBalanceFallback);
  EXPECT_EQ(runBalance(*script, a, set), kBalanceFallback);
  FakeResponse ra, rb;
  EXPECT_EQ(runOnResponse(*script, b, rb).action, HookAction::kContinue);
  EXPECT_EQ(runOnResponse(*script, a, ra).action, HookAction::kContinue);
  EXPECT_EQ(ra.header("x-user"), "alice");
  EXPECT_EQ(rb.header("x-user"), "bob");
  runOnLog(*script, a, ra, LogTimings{});
  runOnLog(*script, b, rb, LogTimings{});
  EXPECT_EQ(script->counters().errors.load(), 0u);
  EXPECT_EQ(a.hookState().var_ref, LUA_NOREF);  // released by runOnLog
  EXPECT_EQ(b.hookState().var_ref, LUA_NOREF);
}

TEST(TgVarTest, CreatedOnlyWhenUsedAndReleasedByFinishRequest) {
  auto vm = testing::makeVm();
  auto untouched = testing::loadScript(*vm, "return { on_request = function() end }");
  auto user = testing::loadScript(*vm, "return { on_request = function() tg.var.x = 1 end }");
  FakeRequest req;
  runOnRequest(*untouched, req);
  EXPECT_EQ(req.hookState().var_ref, LUA_NOREF);
  runOnRequest(*user, req);
  EXPECT_NE(req.hookState().var_ref, LUA_NOREF);
  finishRequest(*vm, req);
  EXPECT_EQ(req.hookState().var_ref, LUA_NOREF);
  finishRequest(*vm, req);  // twice is harmless
}

TEST(TgVarTest, OutsideARequestRaises) {
  auto vm = testing::makeVm();
  auto script = Script::load(*vm, ScriptSource::fromString("v.lua", "local v = tg.var"));
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), "v.lua:1: tg.var is not available in the script's top level");
  EXPECT_NE(testing::eval(*vm, "tg.var = {}").find("tg is read-only"), std::string::npos);
}

TEST(TgRespondTest, EarlyResponseWithHeaders) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm, R"(
    return { on_request = function(req)
      if not req:header('x-api-key') then
        return tg.respond(401, 'missing key\n', {['WWW-Authenticate'] = 'Key', ['X-Multi'] = {'a', 'b'}})
      end
    end })");
  FakeRequest req;
  HookOutcome out = runOnRequest(*script, req);
  EXPECT_EQ(out.action, HookAction::kRespond);
  ASSERT_TRUE(req.responded_);
  EXPECT_EQ(req.responded_->status, 401);
  EXPECT_EQ(req.responded_->body, "missing key\n");
  auto headers = req.responded_->headers;
  std::sort(headers.begin(), headers.end());
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], std::make_pair(std::string("WWW-Authenticate"), std::string("Key")));
  EXPECT_EQ(headers[1], std::make_pair(std::string("X-Multi"), std::string("a")));
  EXPECT_EQ(headers[2], std::make_pair(std::string("X-Multi"), std::string("b")));

  FakeRequest keyed;
  keyed.headers_ = {{"X-Api-Key", "k"}};
  EXPECT_EQ(runOnRequest(*script, keyed).action, HookAction::kContinue);
  EXPECT_FALSE(keyed.responded_);
}

TEST(TgRespondTest, BadArgumentsAndWrongPhase) {
  auto vm = testing::makeVm();
  auto run = [&](const std::string& body) {
    auto script = testing::loadScript(*vm,
                                      "return { on_request = function(req) " + body +
                                          " end, on_response = function() " + body + " end }",
                                      "r.lua");
    FakeRequest req;
    return runOnRequest(*script, req).error;
  };
  EXPECT_EQ(run("tg.respond(99)"),
            "r.lua:1: tg.respond: status must be an integer from 200 to 599");
  EXPECT_EQ(run("tg.respond(200.5)"),
            "r.lua:1: tg.respond: status must be an integer from 200 to 599");
  EXPECT_EQ(run("tg.respond(200, 'x', {['Content-Length'] = '9'})"),
            "r.lua:1: tg.respond: header 'Content-Length' is set by the gateway");
  EXPECT_EQ(run("tg.respond(200, 'x', {['X'] = 'a\\r\\nb'})"),
            "r.lua:1: tg.respond: invalid value for header 'X'");
  EXPECT_EQ(run("tg.respond(200, 'x', {['Bad Name'] = 'v'})"),
            "r.lua:1: tg.respond: invalid header name 'Bad Name'");
  EXPECT_EQ(run("tg.respond(200) tg.respond(201)"),
            "r.lua:1: tg.respond was already called for this request");
  auto script =
      testing::loadScript(*vm, "return { on_response = function() tg.respond(200) end }", "p.lua");
  FakeRequest req;
  FakeResponse resp;
  EXPECT_EQ(runOnResponse(*script, req, resp).error,
            "p.lua:1: tg.respond is not available in on_response");
}

TEST(TgRespondTest, AFailureAfterRespondIsAFailure) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm,
                                    "return { on_request = function() tg.respond(403) "
                                    "error('later') end }");
  FakeRequest req;
  HookOutcome out = runOnRequest(*script, req);
  EXPECT_EQ(out.action, HookAction::kFail);  // the proxy discards the early response
}

class TgLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    sink_->set_pattern("%l %v");
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink_));
    spdlog::set_level(spdlog::level::info);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return sink_->last_formatted(); }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(TgLogTest, LevelsPrefixAndConcatenation) {
  auto vm = testing::makeVm();
  auto script = testing::loadScript(*vm,
                                    "tg.log.info('limit ', 10, ' for ', true, nil)\n"
                                    "tg.log.warn('w')\n"
                                    "tg.log.error('e')\n"
                                    "tg.log.debug('hidden at info level')\n"
                                    "print('a', 1, {})\n"
                                    "return {}",
                                    "logger.lua");
  auto got = lines();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "info [lua] logger.lua:1: limit 10 for truenil\n");
  EXPECT_EQ(got[1], "warning [lua] logger.lua:2: w\n");
  EXPECT_EQ(got[2], "error [lua] logger.lua:3: e\n");
  EXPECT_EQ(got[3].rfind("info [lua] logger.lua:5: a\t1\ttable: 0x", 0), 0u) << got[3];
}

TEST_F(TgLogTest, HookFailuresAreLoggedAndThrottled) {
  auto vm = testing::makeVm();
  auto script =
      testing::loadScript(*vm, "return { on_request = function()\n error('bad') end }", "fail.lua");
  FakeRequest req;
  for (int i = 0; i < 5; ++i)
    runOnRequest(*script, req);
  auto got = lines();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "error lua: on_request failed: fail.lua:2: bad\n");
  EXPECT_EQ(script->counters().errors.load(), 5u);
}

}  // namespace
}  // namespace tidegate::lua
