// req: every getter and setter, in the phases where they are allowed.

#include <gtest/gtest.h>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::FakeRequest;
using testing::FakeResponse;

class RequestApiTest : public ::testing::Test {
 protected:
  // Runs `body` as on_request(req); returns the hook's error, or "" on success.
  std::string onRequest(const std::string& body) {
    script_ = testing::loadScript(*vm_, "return { on_request = function(req)\n" + body + "\nend }",
                                  "req.lua");
    if (!script_) return "load failed";
    HookOutcome out = runOnRequest(*script_, req_);
    return out.error;
  }

  std::unique_ptr<LuaVm> vm_ = testing::makeVm();
  std::unique_ptr<Script> script_;
  FakeRequest req_;
};

TEST_F(RequestApiTest, Getters) {
  req_.method_ = "POST";
  req_.path_ = "/v1/items";
  req_.query_ = "a=1&b=2";
  req_.headers_ = {{"X-Api-Key", "k123"}, {"Accept", "*/*"}};
  EXPECT_EQ(onRequest("assert(req:method() == 'POST')\n"
                      "assert(req:path() == '/v1/items')\n"
                      "assert(req:query() == 'a=1&b=2')\n"
                      "assert(req:header('x-api-key') == 'k123')\n"
                      "assert(req:header('X-API-KEY') == 'k123')\n"
                      "assert(req:header('missing') == nil)\n"
                      "assert(req:client_ip() == '192.0.2.7')\n"
                      "assert(req:route() == 'api')"),
            "");
}

TEST_F(RequestApiTest, SetMethodPathQuery) {
  EXPECT_EQ(onRequest("req:set_method('PUT') req:set_path('/v2/x') req:set_query('q=1')"), "");
  EXPECT_EQ(req_.method_, "PUT");
  EXPECT_EQ(req_.path_, "/v2/x");
  EXPECT_EQ(req_.query_, "q=1");
  EXPECT_EQ(onRequest("req:set_query(nil)"), "");
  EXPECT_EQ(req_.query_, "");
}

TEST_F(RequestApiTest, SettersRefuseWhatWouldBreakTheRequestLine) {
  EXPECT_EQ(onRequest("req:set_method('GE T')"), "req.lua:2: req:set_method: invalid method");
  EXPECT_NE(onRequest("req:set_path('no-slash')").find("a path starts with '/'"),
            std::string::npos);
  EXPECT_NE(onRequest("req:set_path('/a b')").find("a path starts with '/'"), std::string::npos);
  EXPECT_NE(onRequest("req:set_path('/a?b')").find("a path starts with '/'"), std::string::npos);
  EXPECT_NE(onRequest("req:set_query('a#b')").find("invalid query"), std::string::npos);
  EXPECT_EQ(req_.path_, "/");
}

TEST_F(RequestApiTest, Headers) {
  req_.headers_ = {{"X-Old", "1"}, {"x-old", "2"}};
  EXPECT_EQ(onRequest("req:set_header('X-New', 'v') req:set_header('X-Num', 42)\n"
                      "req:remove_header('x-old') req:set_header('X-Gone', 'g')\n"
                      "req:set_header('X-Gone', nil)"),
            "");
  EXPECT_EQ(req_.header("x-new"), "v");
  EXPECT_EQ(req_.header("x-num"), "42");
  EXPECT_EQ(req_.header("x-old"), std::nullopt);
  EXPECT_EQ(req_.header("x-gone"), std::nullopt);
}

TEST_F(RequestApiTest, HeaderInjectionIsRefused) {
  EXPECT_EQ(onRequest("req:set_header('X-A', 'v\\r\\nEvil: 1')"),
            "req.lua:2: req:set_header: invalid header value");
  EXPECT_EQ(onRequest("req:set_header('Bad Name', 'v')"),
            "req.lua:2: req:set_header: invalid header name");
  EXPECT_EQ(onRequest("req:set_header('Content-Length', '5')"),
            "req.lua:2: req:set_header: header 'Content-Length' is managed by the gateway");
  EXPECT_EQ(onRequest("req:remove_header('transfer-encoding')"),
            "req.lua:2: req:remove_header: header 'transfer-encoding' is managed by the gateway");
  EXPECT_TRUE(req_.headers_.empty());
}

TEST_F(RequestApiTest, SetUpstream) {
  EXPECT_EQ(onRequest("assert(req:set_upstream('canary') == true)"), "");
  EXPECT_EQ(req_.upstream_, "canary");
  EXPECT_EQ(onRequest("local ok, err = req:set_upstream('nowhere')\n"
                      "assert(ok == nil and err == \"unknown upstream 'nowhere'\", err)"),
            "");
  EXPECT_EQ(req_.upstream_, "canary");
}

TEST_F(RequestApiTest, SettersOnlyInOnRequest) {
  auto script = testing::loadScript(*vm_, R"(
    return {
      balance = function(req, backends) req:set_header('X-A', '1') end,
      on_response = function(req, resp) assert(req:path() == '/'); req:set_path('/x') end,
    })",
                                    "phase.lua");
  std::string error;
  auto set =
      std::make_shared<testing::FakeBackendSet>(this, 1, std::vector<testing::FakeBackend*>{});
  EXPECT_EQ(runBalance(*script, req_, set, &error), kBalanceFailed);
  EXPECT_EQ(error, "phase.lua:3: req:set_header is not available in balance");
  FakeResponse resp;
  HookOutcome out = runOnResponse(*script, req_, resp);
  EXPECT_EQ(out.error, "phase.lua:4: req:set_path is not available in on_response");
}

TEST_F(RequestApiTest, RequestObjectOutsideAHookRaises) {
  auto script = testing::loadScript(*vm_, R"(
    local saved
    return {
      on_request = function(req) saved = req end,
      on_response = function() end,
      get = function() local p = saved:path() return p end,
    })");
  ASSERT_EQ(runOnRequest(*script, req_).action, HookAction::kContinue);
  lua_State* L = vm_->state();
  lua_rawgeti(L, LUA_REGISTRYINDEX, script->moduleRef());
  lua_getfield(L, -1, "get");
  lua_remove(L, -2);
  auto called = vm_->call(0, 1);
  ASSERT_FALSE(called.ok());
  EXPECT_EQ(called.error().message(), "test.lua:6: req:path is not available in no call");
}

TEST_F(RequestApiTest, MethodsNeedTheColon) {
  EXPECT_EQ(onRequest("req.header('x-api-key')"),
            "req.lua:2: bad argument #2 to 'header' (string expected, got no value)");
}

}  // namespace
}  // namespace tidegate::lua
