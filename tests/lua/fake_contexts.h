#pragma once
// Fakes of the interfaces the proxy implements (lua/request_context.h), and helpers to build
// VMs and scripts in tests. Test thread only.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lua/hooks.h"
#include "lua/request_context.h"
#include "lua/script.h"
#include "lua/vm.h"

namespace tidegate::lua::testing {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class FakeRequest : public RequestContext {
 public:
  std::string method_ = "GET";
  std::string path_ = "/";
  std::string query_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string client_ip_ = "192.0.2.7";
  std::string route_ = "api";
  std::vector<std::string> pools_ = {"api", "canary"};
  std::string upstream_ = "api";

  struct Response {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::optional<Response> responded_;
  int respond_calls_ = 0;

  std::string_view method() const override { return method_; }
  void setMethod(std::string_view m) override { method_ = m; }
  std::string_view path() const override { return path_; }
  void setPath(std::string_view p) override { path_ = p; }
  std::string_view query() const override { return query_; }
  void setQuery(std::string_view q) override { query_ = q; }
  std::optional<std::string_view> header(std::string_view name) const override {
    for (const auto& [n, v] : headers_) {
      if (lower(n) == lower(name)) return std::string_view(v);
    }
    return std::nullopt;
  }
  void setHeader(std::string_view name, std::string_view value) override {
    removeHeader(name);
    headers_.emplace_back(name, value);
  }
  void removeHeader(std::string_view name) override {
    std::erase_if(headers_, [&](const auto& h) { return lower(h.first) == lower(name); });
  }
  std::string_view clientIp() const override { return client_ip_; }
  std::string_view routeName() const override { return route_; }
  bool setUpstream(std::string_view pool) override {
    for (const auto& p : pools_) {
      if (p == pool) {
        upstream_ = pool;
        return true;
      }
    }
    return false;
  }
  void respond(int status, std::string_view body, const HeaderRef* headers, size_t count) override {
    ++respond_calls_;
    Response r;
    r.status = status;
    r.body = body;
    for (size_t i = 0; i < count; ++i)
      r.headers.emplace_back(headers[i].name, headers[i].value);
    responded_ = std::move(r);
  }
};

class FakeBackend : public BackendView {
 public:
  FakeBackend(std::string id, int32_t inflight = 0, double ewma_ms = 0)
      : id_(std::move(id)), inflight_(inflight), ewma_ms_(ewma_ms) {}
  std::string id_;
  uint32_t weight_ = 1;
  int32_t inflight_;
  double ewma_ms_;
  double error_rate_ = 0;
  bool healthy_ = true;
  std::map<std::string, double, std::less<>> metrics_;
  mutable int reads_ = 0;  // live reads, to prove nothing is cached

  std::string_view id() const override { return id_; }
  std::string_view address() const override { return id_; }
  uint32_t weight() const override { return weight_; }
  int32_t inflight() const override {
    ++reads_;
    return inflight_;
  }
  double ewmaMs() const override { return ewma_ms_; }
  double errorRate() const override { return error_rate_; }
  bool healthy() const override { return healthy_; }
  bool metric(std::string_view name, double& out) const override {
    auto it = metrics_.find(name);
    if (it == metrics_.end()) return false;
    out = it->second;
    return true;
  }
};

class FakeBackendSet : public BackendSet {
 public:
  FakeBackendSet(const void* pool, uint64_t generation, std::vector<FakeBackend*> backends)
      : BackendSet(pool, generation), backends_(std::move(backends)) {}
  size_t size() const override { return backends_.size(); }
  const BackendView& at(size_t i) const override { return *backends_[i]; }
  std::vector<FakeBackend*> backends_;
};

class FakeResponse : public ResponseContext {
 public:
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::shared_ptr<const BackendSet> set_;
  int backend_index_ = -1;
  std::optional<size_t> keep_body_;
  std::optional<std::string> body_;

  int status() const override { return status_; }
  void setStatus(int s) override { status_ = s; }
  std::optional<std::string_view> header(std::string_view name) const override {
    for (const auto& [n, v] : headers_) {
      if (lower(n) == lower(name)) return std::string_view(v);
    }
    return std::nullopt;
  }
  void setHeader(std::string_view name, std::string_view value) override {
    removeHeader(name);
    headers_.emplace_back(name, value);
  }
  void removeHeader(std::string_view name) override {
    std::erase_if(headers_, [&](const auto& h) { return lower(h.first) == lower(name); });
  }
  std::pair<std::shared_ptr<const BackendSet>, int> backend() const override {
    return {set_, backend_index_};
  }
  bool keepBody(size_t max_bytes) override {
    keep_body_ = max_bytes;
    return true;
  }
  std::optional<std::string_view> keptBody() const override {
    if (!body_ || !keep_body_ || body_->size() > *keep_body_) return std::nullopt;
    return std::string_view(*body_);
  }
};

inline VmOptions withTimeLimit(std::chrono::milliseconds limit) {
  VmOptions o;
  o.time_limit = limit;
  return o;
}
// A memory cap, and a time limit long enough that the cap is what stops a memory hog.
inline VmOptions withMemory(size_t bytes) {
  VmOptions o;
  o.memory_limit_bytes = bytes;
  o.time_limit = std::chrono::seconds(60);
  return o;
}
inline VmOptions withClock(std::function<double()> now) {
  VmOptions o;
  o.now = std::move(now);
  return o;
}

inline std::unique_ptr<LuaVm> makeVm(VmOptions options = {}) {
  auto vm = LuaVm::create(std::move(options));
  EXPECT_TRUE(vm.ok()) << (vm.ok() ? "" : vm.error().message());
  return std::move(vm.value());
}

inline std::unique_ptr<Script> loadScript(LuaVm& vm, const std::string& code,
                                          const std::string& name = "test.lua",
                                          std::shared_ptr<ModuleSources> modules = nullptr) {
  auto script = Script::load(vm, ScriptSource::fromString(name, code), std::move(modules));
  EXPECT_TRUE(script.ok()) << (script.ok() ? "" : script.error().message());
  return script.ok() ? std::move(script.value()) : nullptr;
}

// Runs `code` as a chunk at top level and returns its first result as a string (tostring), or
// "error: <message>".
inline std::string eval(LuaVm& vm, const std::string& code) {
  lua_State* L = vm.state();
  const int top = lua_gettop(L);
  auto loaded = vm.load(code, "=eval");
  if (!loaded) return "error: " + loaded.error().message();
  auto called = vm.call(0, 1);
  if (!called) return "error: " + called.error().message();
  lua_getglobal(L, "tostring");
  lua_insert(L, -2);
  lua_call(L, 1, 1);
  std::string out = lua_tostring(L, -1) ? lua_tostring(L, -1) : "?";
  lua_settop(L, top);
  return out;
}

}  // namespace tidegate::lua::testing
