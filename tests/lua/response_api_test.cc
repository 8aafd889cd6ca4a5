// resp: status, headers, backend, keep_body/body, per phase.

#include <gtest/gtest.h>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::FakeBackend;
using testing::FakeBackendSet;
using testing::FakeRequest;
using testing::FakeResponse;

class ResponseApiTest : public ::testing::Test {
 protected:
  std::string onResponse(const std::string& body) {
    script_ = testing::loadScript(
        *vm_, "return { on_response = function(req, resp)\n" + body + "\nend }", "resp.lua");
    return script_ ? runOnResponse(*script_, req_, resp_).error : "load failed";
  }

  std::unique_ptr<LuaVm> vm_ = testing::makeVm();
  std::unique_ptr<Script> script_;
  FakeRequest req_;
  FakeResponse resp_;
};

TEST_F(ResponseApiTest, StatusAndHeaders) {
  resp_.status_ = 502;
  resp_.headers_ = {{"Content-Type", "text/plain"}, {"X-Drop", "1"}};
  EXPECT_EQ(onResponse("assert(resp:status() == 502)\n"
                       "assert(resp:header('content-type') == 'text/plain')\n"
                       "resp:set_status(503)\n"
                       "resp:set_header('X-Served-By', 'tidegate')\n"
                       "resp:remove_header('x-drop')"),
            "");
  EXPECT_EQ(resp_.status_, 503);
  EXPECT_EQ(resp_.header("x-served-by"), "tidegate");
  EXPECT_EQ(resp_.header("x-drop"), std::nullopt);
}

TEST_F(ResponseApiTest, InvalidWritesAreRefused) {
  EXPECT_EQ(onResponse("resp:set_status(99)"),
            "resp.lua:2: resp:set_status: status must be an integer from 200 to 599");
  EXPECT_EQ(onResponse("resp:set_header('X', 'a\\nb')"),
            "resp.lua:2: resp:set_header: invalid header value");
  EXPECT_EQ(onResponse("resp:set_header('Transfer-Encoding', 'chunked')"),
            "resp.lua:2: resp:set_header: header 'Transfer-Encoding' is managed by the gateway");
}

TEST_F(ResponseApiTest, BackendIsTheOneThatAnswered) {
  FakeBackend a("10.0.0.1:80", 3, 12.5), b("10.0.0.2:80", 1, 4.0);
  resp_.set_ = std::make_shared<FakeBackendSet>(this, 7, std::vector<FakeBackend*>{&a, &b});
  resp_.backend_index_ = 1;
  EXPECT_EQ(onResponse("resp:set_header('X-Served-By', resp.backend.id)\n"
                       "assert(resp.backend.inflight == 1)\n"
                       "assert(resp.backend == resp.backend)"),
            "");
  EXPECT_EQ(resp_.header("x-served-by"), "10.0.0.2:80");
  resp_.backend_index_ = -1;
  EXPECT_EQ(onResponse("assert(resp.backend == nil)"), "");
  resp_.set_ = nullptr;
  EXPECT_EQ(onResponse("assert(resp.backend == nil)"), "");
}

TEST_F(ResponseApiTest, KeepBodyInOnResponseBodyInOnLog) {
  auto script = testing::loadScript(*vm_, R"(
    return {
      on_response = function(req, resp) assert(resp:keep_body(1024)) end,
      on_log = function(req, resp, t) tg.var.body = resp:body() seen = tg.var.body end,
    })");
  EXPECT_EQ(runOnResponse(*script, req_, resp_).action, HookAction::kContinue);
  EXPECT_EQ(resp_.keep_body_, 1024u);
  resp_.body_ = "hello";
  runOnLog(*script, req_, resp_, LogTimings{});
  EXPECT_EQ(script->counters().errors.load(), 0u);
  lua_State* L = vm_->state();
  EXPECT_EQ(testing::eval(*vm_, "return 1"), "1");
  (void)L;
}

TEST_F(ResponseApiTest, BodyIsOnlyForOnLogAndWritesOnlyForOnResponse) {
  EXPECT_EQ(onResponse("resp:body()"), "resp.lua:2: resp:body is not available in on_response");
  auto script = testing::loadScript(*vm_, R"(
    return { on_log = function(req, resp) assert(resp:status() == 200) resp:set_status(500) end })",
                                    "log.lua");
  runOnLog(*script, req_, resp_, LogTimings{});
  EXPECT_EQ(script->counters().errors.load(), 1u);
  EXPECT_EQ(resp_.status_, 200);
}

TEST_F(ResponseApiTest, OnLogGetsTimings) {
  auto script = testing::loadScript(*vm_, R"(
    return { on_log = function(req, resp, t)
      assert(t.total_ms == 12.5, 'total')
      assert(t.upstream_connect_ms == 0, 'connect')
      assert(t.upstream_header_ms == 7, 'header')
      assert(t.upstream_total_ms == nil, 'not applicable is nil')
    end })",
                                    "timing.lua");
  LogTimings t;
  t.total_ms = 12.5;
  t.upstream_connect_ms = 0;
  t.upstream_header_ms = 7;
  runOnLog(*script, req_, resp_, t);
  EXPECT_EQ(script->counters().errors.load(), 0u);
}

}  // namespace
}  // namespace tidegate::lua
