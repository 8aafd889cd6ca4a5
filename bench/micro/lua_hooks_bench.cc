// Cost of the Lua hooks on the request path, through the same entry points the proxy calls
// (lua/hooks.h) and fake contexts as cheap as the proxy's. Targets (issue 3): a trivial
// on_request <= 1 us, balance over 8 backends <= 2 us.
//
// The Reference_* cases are not tidegate code: they run the least-loaded loop in a plain
// LuaJIT state over FFI structs, with the JIT on (what lua-resty-core gets, but a count hook
// cannot stop a compiled loop) and off (what FFI costs in the interpreter), to show why the
// bindings use the classic C API with the JIT off (docs/lua-api.md, "Performance").

#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "lua/hooks.h"
#include "lua/request_context.h"
#include "lua/shared_dict.h"
#include "lua/vm.h"

namespace tidegate::lua {
namespace {

class BenchRequest : public RequestContext {
 public:
  std::string_view method() const override { return "GET"; }
  void setMethod(std::string_view) override {}
  std::string_view path() const override { return "/api/items"; }
  void setPath(std::string_view) override {}
  std::string_view query() const override { return ""; }
  void setQuery(std::string_view) override {}
  std::optional<std::string_view> header(std::string_view name) const override {
    if (name.size() == 9 && std::memcmp(name.data(), "x-api-key", 9) == 0) return key_;
    return std::nullopt;
  }
  void setHeader(std::string_view, std::string_view) override {}
  void removeHeader(std::string_view) override {}
  std::string_view clientIp() const override { return "192.0.2.10"; }
  std::string_view routeName() const override { return "api"; }
  bool setUpstream(std::string_view) override { return true; }
  void respond(int, std::string_view, const HeaderRef*, size_t) override {}
  std::string key_ = "key-1234";
};

class BenchResponse : public ResponseContext {
 public:
  int status() const override { return 200; }
  void setStatus(int) override {}
  std::optional<std::string_view> header(std::string_view) const override { return "text/plain"; }
  void setHeader(std::string_view, std::string_view) override {}
  void removeHeader(std::string_view) override {}
  std::pair<std::shared_ptr<const BackendSet>, int> backend() const override {
    return {nullptr, -1};
  }
  bool keepBody(size_t) override { return false; }
  std::optional<std::string_view> keptBody() const override { return std::nullopt; }
};

// What the proxy's view will do: relaxed loads of shared atomics.
class BenchBackend : public BackendView {
 public:
  std::string id_;
  std::atomic<int32_t> inflight_{0};
  std::atomic<double> ewma_ms_{0};
  std::string_view id() const override { return id_; }
  std::string_view address() const override { return id_; }
  uint32_t weight() const override { return 1; }
  int32_t inflight() const override { return inflight_.load(std::memory_order_relaxed); }
  double ewmaMs() const override { return ewma_ms_.load(std::memory_order_relaxed); }
  double errorRate() const override { return 0; }
  bool healthy() const override { return true; }
  bool metric(std::string_view, double&) const override { return false; }
};

class BenchSet : public BackendSet {
 public:
  explicit BenchSet(size_t n) : BackendSet(this, 1), backends_(n) {
    for (size_t i = 0; i < n; ++i) {
      backends_[i].id_ = "10.0.0." + std::to_string(i + 1) + ":8080";
      backends_[i].inflight_ = static_cast<int32_t>(10 - (i * 7) % 5);
      backends_[i].ewma_ms_ = 20.0 + static_cast<double>((i * 3) % 7);
    }
  }
  size_t size() const override { return backends_.size(); }
  const BackendView& at(size_t i) const override { return backends_[i]; }
  std::vector<BenchBackend> backends_;
};

struct Fixture {
  SharedDicts dicts;
  std::unique_ptr<LuaVm> vm;
  std::unique_ptr<Script> script;
  Fixture(const char* code, const char* name = "bench.lua") {
    dicts.add("ratelimit", 16 << 20);
    VmOptions options;
    options.shared_dicts = &dicts;
    vm = std::move(LuaVm::create(options).value());
    auto loaded = Script::load(*vm, ScriptSource::fromString(name, code));
    if (!loaded) {
      fprintf(stderr, "%s\n", loaded.error().message().c_str());
      std::abort();
    }
    script = std::move(loaded.value());
  }
};

void BM_OnRequestTrivial(benchmark::State& state) {
  Fixture f("return { on_request = function(req) end }");
  BenchRequest req;
  for (auto _ : state) {
    HookOutcome out = runOnRequest(*f.script, req);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OnRequestTrivial);

void BM_OnRequestHeaderCheck(benchmark::State& state) {
  Fixture f(R"(return { on_request = function(req)
      if not req:header("x-api-key") then return tg.respond(401, "missing key\n") end
    end })");
  BenchRequest req;
  for (auto _ : state) {
    HookOutcome out = runOnRequest(*f.script, req);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OnRequestHeaderCheck);

void BM_OnRequestTgVar(benchmark::State& state) {
  Fixture f("return { on_request = function(req) tg.var.user = req:header('x-api-key') end }");
  BenchRequest req;
  for (auto _ : state) {
    HookOutcome out = runOnRequest(*f.script, req);
    finishRequest(*f.vm, req);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OnRequestTgVar);

// examples/lua/rate_limit_per_key.lua, inlined (one incr and one get in tg.shared).
void BM_OnRequestRateLimitPerKey(benchmark::State& state) {
  Fixture f(R"(
    local LIMIT, WINDOW = 1e12, 1
    local dict = tg.shared.ratelimit
    local floor = math.floor
    return { on_request = function(req)
      local key = req:header("x-api-key")
      local prefix = "k:"
      if key == nil or key == "" then key = req:client_ip() prefix = "ip:" end
      local now = tg.now()
      local window = floor(now / WINDOW)
      local base = prefix .. key .. ":"
      local current = dict:incr(base .. window, 1, 0, 2 * WINDOW)
      local previous = dict:get(base .. (window - 1)) or 0
      if previous * (1 - (now / WINDOW - window)) + current > LIMIT then
        return tg.respond(429, "rate limit exceeded\n")
      end
    end })");
  BenchRequest req;
  for (auto _ : state) {
    HookOutcome out = runOnRequest(*f.script, req);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OnRequestRateLimitPerKey);

// The loop from the brief: fewest in flight.
void BM_BalanceFewestInflight(benchmark::State& state) {
  Fixture f(R"(return { balance = function(req, backends)
      local best = backends[1]
      for i = 2, #backends do
        local b = backends[i]
        if b.inflight < best.inflight then best = b end
      end
      return best
    end })");
  BenchRequest req;
  auto set = std::make_shared<const BenchSet>(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(runBalance(*f.script, req, set));
}
BENCHMARK(BM_BalanceFewestInflight)->Arg(2)->Arg(8)->Arg(32);

// examples/lua/least_loaded.lua (keep in step with it).
constexpr const char* kLeastLoaded = R"(
  local M = {}
  function M.balance(req, backends)
    local best, best_inflight, best_ewma
    for i = 1, #backends do
      local b = backends[i]
      local inflight = b.inflight
      if (best == nil or inflight <= best_inflight) and b.healthy then
        if best == nil or inflight < best_inflight then
          best, best_inflight, best_ewma = b, inflight, nil
        else
          best_ewma = best_ewma or best.ewma_ms
          local ewma = b.ewma_ms
          if ewma < best_ewma then best, best_ewma = b, ewma end
        end
      end
    end
    return best
  end
  return M)";

void BM_BalanceLeastLoaded(benchmark::State& state) {
  Fixture f(kLeastLoaded);
  BenchRequest req;
  auto set = std::make_shared<const BenchSet>(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(runBalance(*f.script, req, set));
}
BENCHMARK(BM_BalanceLeastLoaded)->Arg(8);

void BM_OnResponseSetHeader(benchmark::State& state) {
  Fixture f(
      "return { on_response = function(req, resp) "
      "resp:set_header('X-Served-By', 'tidegate') end }");
  BenchRequest req;
  BenchResponse resp;
  for (auto _ : state) {
    HookOutcome out = runOnResponse(*f.script, req, resp);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_OnResponseSetHeader);

// One request through all four hooks, each doing a little.
void BM_AllFourHooks(benchmark::State& state) {
  Fixture f(R"(
    local M = {}
    function M.on_request(req) tg.var.t0 = tg.now() end
    function M.balance(req, backends)
      local best = backends[1]
      for i = 2, #backends do if backends[i].inflight < best.inflight then best = backends[i] end end
      return best
    end
    function M.on_response(req, resp) resp:set_header('X-Served-By', 'tidegate') end
    function M.on_log(req, resp, t) if t.total_ms > 1000 then tg.log.warn('slow') end end
    return M)");
  BenchRequest req;
  BenchResponse resp;
  auto set = std::make_shared<const BenchSet>(8);
  LogTimings timings;
  timings.total_ms = 3;
  for (auto _ : state) {
    runOnRequest(*f.script, req);
    benchmark::DoNotOptimize(runBalance(*f.script, req, set));
    runOnResponse(*f.script, req, resp);
    runOnLog(*f.script, req, resp, timings);
  }
}
BENCHMARK(BM_AllFourHooks);

void BM_SharedDictIncrCpp(benchmark::State& state) {
  static SharedDicts dicts;
  static SharedDict& d = dicts.add("d", 16 << 20);
  const double zero = 0;
  double out = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(d.incr("k:alice:123", 1, out, &zero, 2));
}
BENCHMARK(BM_SharedDictIncrCpp)->Threads(1)->Threads(2)->Threads(4);

// ---- Reference: FFI over plain structs in a bare LuaJIT state (not the tidegate bindings) --

struct RefBackend {
  int32_t inflight;
  double ewma_ms;
  bool healthy;
};

void referenceBalance(benchmark::State& state, bool jit) {
  std::array<RefBackend, 8> backends;
  for (int i = 0; i < 8; ++i) {
    backends[i] = RefBackend{10 - (i * 7) % 5, 20.0 + (i * 3) % 7, true};
  }
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  if (!jit) luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  lua_pushlightuserdata(L, backends.data());
  lua_setglobal(L, "BACKENDS");
  const char* code = R"(
    local ffi = require "ffi"
    ffi.cdef "typedef struct { int32_t inflight; double ewma_ms; bool healthy; } ref_backend;"
    local p = ffi.cast("ref_backend*", BACKENDS)
    local list = {}
    for i = 1, 8 do list[i] = p + (i - 1) end
    LIST = list
    return function(req, backends)
      local best, best_inflight, best_ewma
      for i = 1, #backends do
        local b = backends[i]
        if b.healthy then
          local inflight = b.inflight
          if best == nil or inflight < best_inflight then
            best, best_inflight, best_ewma = b, inflight, nil
          elseif inflight == best_inflight then
            best_ewma = best_ewma or best.ewma_ms
            local ewma = b.ewma_ms
            if ewma < best_ewma then best, best_ewma = b, ewma end
          end
        end
      end
      return best
    end)";
  if (luaL_loadstring(L, code) != 0 || lua_pcall(L, 0, 1, 0) != 0) {
    state.SkipWithError(lua_tostring(L, -1));
    lua_close(L);
    return;
  }
  const int fn = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getglobal(L, "LIST");
  const int list = luaL_ref(L, LUA_REGISTRYINDEX);
  for (auto _ : state) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
    lua_pushnil(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, list);
    if (lua_pcall(L, 2, 1, 0) != 0) state.SkipWithError("call failed");
    lua_pop(L, 1);
  }
  lua_close(L);
}

void BM_Reference_FfiBalance8_JitOn(benchmark::State& state) {
  referenceBalance(state, true);
}
BENCHMARK(BM_Reference_FfiBalance8_JitOn);

void BM_Reference_FfiBalance8_JitOff(benchmark::State& state) {
  referenceBalance(state, false);
}
BENCHMARK(BM_Reference_FfiBalance8_JitOff);

}  // namespace
}  // namespace tidegate::lua
