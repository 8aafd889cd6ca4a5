#include "lua/hooks.h"

#include "lua/backend_cache.h"
#include "lua/binding.h"
#include "lua/builtins.h"

namespace tidegate::lua {

static_assert(HookRequestState{}.var_ref == LUA_NOREF);

namespace {

// Sets what the bindings may touch for one call and restores the previous state after.
class CallScope {
 public:
  CallScope(LuaVm& vm, Phase phase, RequestContext* req, ResponseContext* resp,
            const LogTimings* timings = nullptr)
      : call_(vm.callState()), saved_(call_) {
    call_.phase = phase;
    call_.req = req;
    call_.resp = resp;
    call_.timings = timings;
    call_.responded = false;
  }
  ~CallScope() { call_ = saved_; }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  CallState& call_;
  CallState saved_;
};

void countFailure(const Script& script, Hook hook, int status, std::string& error) {
  ScriptCounters& counters = script.counters();
  counters.errors.fetch_add(1, std::memory_order_relaxed);
  if (status == LUA_ERRMEM) {
    counters.out_of_memory.fetch_add(1, std::memory_order_relaxed);
    error = script.name() + ": " + error;
  } else if (script.vm().timeLimitExceeded()) {
    counters.time_limit_exceeded.fetch_add(1, std::memory_order_relaxed);
  }
  script.logFailure(hook, error);
}

}  // namespace

// Args: the balance function, the shared_ptr<const BackendSet>*, the Script*.
int balanceBuiltin(lua_State* L) {
  const auto& set = *static_cast<const std::shared_ptr<const BackendSet>*>(lua_touserdata(L, 2));
  const auto* script = static_cast<const Script*>(lua_touserdata(L, 3));
  LuaVm& vm = LuaVm::from(L);
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script->requestRef());
  vm.backends().pushArray(L, set);
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1)) {
    lua_pushinteger(L, kBalanceFallback);
    return 1;
  }
  const int index = vm.backends().indexOf(L, -1, *set);
  if (index < 0) {
    return luaL_error(L,
                      "%s: balance must return one of the backends it was given, or nil (it "
                      "returned a %s)",
                      script->name().c_str(), luaL_typename(L, -1));
  }
  lua_pushinteger(L, index);
  return 1;
}

// Args: the on_log function, the Script*. Fills the reused timing table, then calls
// on_log(req, resp, timing).
int onLogBuiltin(lua_State* L) {
  LuaVm& vm = LuaVm::from(L);
  const auto* script = static_cast<const Script*>(lua_touserdata(L, 2));
  const LogTimings& t = *vm.callState().timings;
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script->requestRef());
  lua_rawgeti(L, LUA_REGISTRYINDEX, script->responseRef());
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm.timingRef());
  const int table = lua_gettop(L);
  auto set = [&](const char* name, double ms) {
    if (ms < 0) {
      lua_pushnil(L);
    } else {
      lua_pushnumber(L, ms);
    }
    lua_setfield(L, table, name);
  };
  set("total_ms", t.total_ms);
  set("upstream_connect_ms", t.upstream_connect_ms);
  set("upstream_header_ms", t.upstream_header_ms);
  set("upstream_total_ms", t.upstream_total_ms);
  lua_call(L, 3, 0);
  return 0;
}

HookOutcome runOnRequest(const Script& script, RequestContext& req) {
  HookOutcome outcome;
  if (!script.has(Hook::kOnRequest)) return outcome;
  LuaVm& vm = script.vm();
  lua_State* L = vm.state();
  CallScope scope(vm, Phase::kOnRequest, &req, nullptr);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref(Hook::kOnRequest));
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.requestRef());
  const int status = vm.protectedCall(1, 0, outcome.error);
  if (status != 0) {
    countFailure(script, Hook::kOnRequest, status, outcome.error);
    outcome.action = HookAction::kFail;
  } else if (vm.callState().responded) {
    outcome.action = HookAction::kRespond;
  }
  return outcome;
}

int runBalance(const Script& script, RequestContext& req,
               const std::shared_ptr<const BackendSet>& backends, std::string* error) {
  if (!script.has(Hook::kBalance) || !backends) return kBalanceFallback;
  LuaVm& vm = script.vm();
  lua_State* L = vm.state();
  CallScope scope(vm, Phase::kBalance, &req, nullptr);
  std::string message;
  int status = 0;
  int index = kBalanceFallback;
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref(Hook::kBalance));
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.requestRef());
  if (vm.backends().pushArrayIfCurrent(L, *backends)) {
    // Fast path: the cached array needs no (allocating) rebuild, so call the hook directly.
    status = vm.protectedCall(2, 1, message);
    if (status == 0) {
      if (!lua_isnil(L, -1)) {
        index = vm.backends().indexOf(L, -1, *backends);
        if (index < 0) {
          message = script.name() +
                    ": balance must return one of the backends it was given, or nil (it "
                    "returned a " +
                    luaL_typename(L, -1) + ")";
          status = LUA_ERRRUN;
        }
      }
      lua_pop(L, 1);
    }
  } else {
    lua_pop(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm.builtinRef(Builtin::kBalance));
    lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref(Hook::kBalance));
    lua_pushlightuserdata(L, const_cast<std::shared_ptr<const BackendSet>*>(&backends));
    lua_pushlightuserdata(L, const_cast<Script*>(&script));
    status = vm.protectedCall(3, 1, message);
    if (status == 0) {
      index = static_cast<int>(lua_tointeger(L, -1));
      lua_pop(L, 1);
    }
  }
  if (status != 0) {
    countFailure(script, Hook::kBalance, status, message);
    if (error != nullptr) *error = std::move(message);
    return kBalanceFailed;
  }
  return index;
}

HookOutcome runOnResponse(const Script& script, RequestContext& req, ResponseContext& resp) {
  HookOutcome outcome;
  if (!script.has(Hook::kOnResponse)) return outcome;
  LuaVm& vm = script.vm();
  lua_State* L = vm.state();
  CallScope scope(vm, Phase::kOnResponse, &req, &resp);
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref(Hook::kOnResponse));
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.requestRef());
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.responseRef());
  const int status = vm.protectedCall(2, 0, outcome.error);
  if (status != 0) {
    countFailure(script, Hook::kOnResponse, status, outcome.error);
    outcome.action = HookAction::kFail;
  }
  return outcome;
}

void runOnLog(const Script& script, RequestContext& req, ResponseContext& resp,
              const LogTimings& timings) {
  LuaVm& vm = script.vm();
  if (script.has(Hook::kOnLog)) {
    lua_State* L = vm.state();
    CallScope scope(vm, Phase::kOnLog, &req, &resp, &timings);
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm.builtinRef(Builtin::kOnLog));
    lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref(Hook::kOnLog));
    lua_pushlightuserdata(L, const_cast<Script*>(&script));
    std::string error;
    const int status = vm.protectedCall(2, 0, error);
    if (status != 0) countFailure(script, Hook::kOnLog, status, error);
  }
  finishRequest(vm, req);
}

void finishRequest(LuaVm& vm, RequestContext& req) {
  HookRequestState& state = req.hookState();
  if (state.var_ref == LUA_NOREF) return;
  const int ref = state.var_ref;
  state.var_ref = LUA_NOREF;
  vm.releaseVarTable(ref);
}

}  // namespace tidegate::lua
