#include "scale/lua_policy.h"

#include <cmath>
#include <cstdio>

#include "config/units.h"
#include "scale/event_log.h"
#include "scale/policy_lua_json.h"

namespace tidegate::scale {
namespace {

constexpr size_t kEventsInContext = 50;

struct SetupArgs {
  LuaPolicy* self;
  const nlohmann::json* params;
};

std::string windowLabel(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", seconds);
  return buf;
}

}  // namespace

// The lua_CFunctions of a policy VM. None leaves a C++ object alive when it raises a Lua error.
struct LuaPolicy::Protected {
  static LuaPolicy& self(lua_State* L) {
    return *static_cast<LuaPolicy*>(lua_touserdata(L, lua_upvalueindex(1)));
  }

  // lua_cpcall: makes the closures, tables and reserved references the policy needs.
  static int setup(lua_State* L) {
    auto* args = static_cast<SetupArgs*>(lua_touserdata(L, 1));
    LuaPolicy* p = args->self;
    static const std::shared_ptr<lua::ModuleSources> kNoModules;
    lua::pushScriptEnvironment(L, kNoModules);
    p->env_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 1);  // a placeholder, replaced by the policy function without allocating
    p->fn_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    pushJson(L, *args->params);
    p->params_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    p->state_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, p);
    lua_pushcclosure(L, metric, 1);
    lua_setfield(L, -2, "metric");
    lua_pushlightuserdata(L, p);
    lua_pushcclosure(L, instances, 1);
    lua_setfield(L, -2, "instances");
    p->methods_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushlightuserdata(L, p);
    lua_pushcclosure(L, evaluate, 1);
    p->trampoline_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  }

  // lua_cpcall: replaces ctx.state with a table made from the JSON in the argument.
  static int restore(lua_State* L) {
    auto* args = static_cast<SetupArgs*>(lua_touserdata(L, 1));
    pushJson(L, *args->params);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      lua_newtable(L);
    }
    lua_rawseti(L, LUA_REGISTRYINDEX, args->self->state_ref_);
    return 0;
  }

  // window: seconds (a number) or a duration string; 60 when absent. Raises on nonsense.
  static double windowArg(lua_State* L, int index, const char* what) {
    if (lua_isnoneornil(L, index)) return 60;
    double seconds = -1;
    if (lua_type(L, index) == LUA_TNUMBER) {
      seconds = lua_tonumber(L, index);
    } else if (lua_type(L, index) == LUA_TSTRING) {
      size_t len = 0;
      const char* text = lua_tolstring(L, index, &len);
      Result<int64_t> ms = config::parseDuration(std::string_view(text, len));
      if (ms.ok()) seconds = double(ms.value()) / 1000.0;
    }
    if (!(seconds >= 1 && seconds <= 900)) {
      luaL_error(L, "%s: the window must be 1 to 900 seconds (a number or \"30s\")", what);
    }
    return seconds;
  }

  static metrics::Agg aggArg(lua_State* L, int index, const char* what) {
    size_t len = 0;
    const char* text = luaL_optlstring(L, index, "avg", &len);
    std::optional<metrics::Agg> agg = metrics::Agg::parse(std::string_view(text, len));
    if (!agg) luaL_error(L, "%s: unknown aggregation '%s' (avg, max, p99, rate, ...)", what, text);
    return *agg;
  }

  // ctx:metric(name, agg = "avg", window = 60) -> number | nil (no data)
  static int metric(lua_State* L) {
    LuaPolicy& p = self(L);
    size_t len = 0;
    const char* name = luaL_checklstring(L, 2, &len);
    const metrics::Agg agg = aggArg(L, 3, "ctx:metric");
    const double window = windowArg(L, 4, "ctx:metric");
    if (p.current_ == nullptr) return luaL_error(L, "ctx:metric: only during a policy call");
    bool failed = false;
    std::optional<double> value;
    try {
      value = p.current_->metrics->metric(std::string_view(name, len), agg,
                                          std::chrono::seconds(std::llround(window)));
      if (value) {
        p.inputs_.emplace_back(
            std::string(name, len) + " " + aggName(agg) + " " + windowLabel(window), *value);
      }
    } catch (...) {
      failed = true;
    }
    if (failed) return luaL_error(L, "ctx:metric: internal error");
    if (value && std::isfinite(*value)) {
      lua_pushnumber(L, *value);
    } else {
      lua_pushnil(L);
    }
    return 1;
  }

  // ctx:instances(name, agg = "avg", window = 60) -> { {id=, ready=, value=number|nil}, ... }
  static int instances(lua_State* L) {
    LuaPolicy& p = self(L);
    size_t len = 0;
    const char* name = luaL_checklstring(L, 2, &len);
    const metrics::Agg agg = aggArg(L, 3, "ctx:instances");
    const double window = windowArg(L, 4, "ctx:instances");
    if (p.current_ == nullptr) return luaL_error(L, "ctx:instances: only during a policy call");
    // Kept on the policy, not the C stack, so that a Lua error below leaks nothing.
    bool failed = false;
    try {
      p.instances_ = p.current_->metrics->perInstance(std::string_view(name, len), agg,
                                                      std::chrono::seconds(std::llround(window)));
    } catch (...) {
      failed = true;
    }
    if (failed) return luaL_error(L, "ctx:instances: internal error");
    lua_createtable(L, int(p.instances_.size()), 0);
    int i = 1;
    for (const InstanceMetric& m : p.instances_) {
      lua_createtable(L, 0, 3);
      lua_pushlstring(L, m.id.data(), m.id.size());
      lua_setfield(L, -2, "id");
      lua_pushboolean(L, m.ready ? 1 : 0);
      lua_setfield(L, -2, "ready");
      if (m.value && std::isfinite(*m.value)) {
        lua_pushnumber(L, *m.value);
        lua_setfield(L, -2, "value");
      }
      lua_rawseti(L, -2, i++);
    }
    return 1;
  }

  static void setNumber(lua_State* L, const char* key, double value) {
    lua_pushnumber(L, value);
    lua_setfield(L, -2, key);
  }

  // protectedCall: builds ctx, calls the policy, and returns desired, reason, recommendation,
  // inputs (each may be nil except desired, which is a finite number).
  static int evaluate(lua_State* L) {
    LuaPolicy& p = self(L);
    const PolicyContext& c = *p.current_;
    lua_rawgeti(L, LUA_REGISTRYINDEX, p.fn_ref_);
    lua_createtable(L, 0, 16);
    setNumber(L, "replicas", c.replicas);
    setNumber(L, "ready", c.ready);
    setNumber(L, "min", c.min);
    setNumber(L, "max", c.max);
    setNumber(L, "now", c.now);
    setNumber(L, "since_last_scale", c.since_last_scale);
    lua_rawgeti(L, LUA_REGISTRYINDEX, p.params_ref_);
    lua_setfield(L, -2, "params");
    lua_rawgeti(L, LUA_REGISTRYINDEX, p.state_ref_);
    lua_setfield(L, -2, "state");
    lua_createtable(L, int(c.decisions.size()), 0);
    int i = 1;
    for (const PastDecision& d : c.decisions) {
      lua_createtable(L, 0, 5);
      setNumber(L, "age", d.age_s);
      setNumber(L, "current", d.current);
      setNumber(L, "desired", d.desired);
      setNumber(L, "recommendation", d.recommendation);
      lua_pushlstring(L, d.reason.data(), d.reason.size());
      lua_setfield(L, -2, "reason");
      lua_rawseti(L, -2, i++);
    }
    lua_setfield(L, -2, "decisions");
    lua_createtable(L, int(c.scale_events.size()), 0);
    i = 1;
    for (const PastScale& s : c.scale_events) {
      lua_createtable(L, 0, 3);
      setNumber(L, "age", s.age_s);
      setNumber(L, "from", s.from);
      setNumber(L, "to", s.to);
      lua_rawseti(L, -2, i++);
    }
    lua_setfield(L, -2, "scale_events");
    if (p.events_ != nullptr) {
      p.events_->pushLua(L, p.pool_, int64_t(std::llround(c.now * 1000)), kEventsInContext);
    } else {
      lua_newtable(L);
    }
    lua_setfield(L, -2, "events");
    lua_rawgeti(L, LUA_REGISTRYINDEX, p.methods_ref_);
    lua_getfield(L, -1, "metric");
    lua_setfield(L, -3, "metric");
    lua_getfield(L, -1, "instances");
    lua_setfield(L, -3, "instances");
    lua_pop(L, 1);

    lua_call(L, 1, 3);
    const int first = lua_gettop(L) - 2;
    if (lua_istable(L, first)) {
      const int t = first;
      lua_getfield(L, t, "desired");
      lua_getfield(L, t, "reason");
      lua_getfield(L, t, "recommendation");
      lua_getfield(L, t, "inputs");
    } else {
      lua_pushvalue(L, first);
      lua_pushvalue(L, first + 1);
      lua_pushnil(L);
      lua_pushnil(L);
    }
    const int desired = lua_gettop(L) - 3;
    if (lua_type(L, desired) != LUA_TNUMBER || !std::isfinite(lua_tonumber(L, desired))) {
      return luaL_error(L, "%s: the policy returned %s; expected a number (the desired count)",
                        p.name_.c_str(), luaL_typename(L, desired));
    }
    if (!lua_isnil(L, desired + 1) && lua_type(L, desired + 1) != LUA_TSTRING) {
      return luaL_error(L, "%s: the reason must be a string (it is a %s)", p.name_.c_str(),
                        luaL_typename(L, desired + 1));
    }
    if (!lua_isnil(L, desired + 2) &&
        (lua_type(L, desired + 2) != LUA_TNUMBER || !std::isfinite(lua_tonumber(L, desired + 2)))) {
      return luaL_error(L, "%s: recommendation must be a number", p.name_.c_str());
    }
    if (!lua_isnil(L, desired + 3) && !lua_istable(L, desired + 3)) {
      return luaL_error(L, "%s: inputs must be a table of name = number", p.name_.c_str());
    }
    return 4;
  }
};

Result<std::unique_ptr<LuaPolicy>> LuaPolicy::create(
    std::shared_ptr<const lua::ScriptSource> source, const nlohmann::json& params,
    LuaPolicyOptions options) {
  lua::VmOptions vm_options;
  vm_options.control = true;
  vm_options.memory_limit_bytes = options.memory_limit_bytes;
  vm_options.time_limit = options.time_limit;
  auto vm = lua::LuaVm::create(std::move(vm_options));
  if (!vm) return vm.error();
  std::unique_ptr<LuaPolicy> policy(new LuaPolicy(source->name()));
  policy->vm_ = std::move(vm.value());
  lua_State* L = policy->vm_->state();
  SetupArgs args{policy.get(), &params};
  if (lua_cpcall(L, Protected::setup, &args) != 0) {
    std::string message = lua_isstring(L, -1) ? lua_tostring(L, -1) : "setup failed";
    lua_pop(L, 1);
    return Error(ErrorSource::kScript, source->name() + ": " + message);
  }
  auto loaded = policy->vm_->load(source->code(), source->chunkName());
  if (!loaded) return loaded.error();
  lua_rawgeti(L, LUA_REGISTRYINDEX, policy->env_ref_);
  lua_setfenv(L, -2);
  std::string error;
  if (policy->vm_->protectedCall(0, 1, error) != 0) {
    return Error(ErrorSource::kScript, error);
  }
  if (!lua_isfunction(L, -1)) {
    std::string got = luaL_typename(L, -1);
    lua_pop(L, 1);
    return Error(
        ErrorSource::kScript,
        source->name() + ": a policy must return a function(ctx) (it returned " + got + ")");
  }
  lua_rawseti(L, LUA_REGISTRYINDEX, policy->fn_ref_);
  return policy;
}

LuaPolicy::~LuaPolicy() {
  if (!vm_) return;
  lua_State* L = vm_->state();
  for (int ref : {fn_ref_, params_ref_, state_ref_, methods_ref_, trampoline_ref_, env_ref_}) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
  }
}

void LuaPolicy::attachEventLog(const EventLog* log, std::string pool) {
  events_ = log;
  pool_ = std::move(pool);
}

Result<Decision> LuaPolicy::evaluate(const PolicyContext& ctx) {
  lua_State* L = vm_->state();
  current_ = &ctx;
  inputs_.clear();
  lua_rawgeti(L, LUA_REGISTRYINDEX, trampoline_ref_);
  std::string error;
  const int status = vm_->protectedCall(0, 4, error);
  current_ = nullptr;
  instances_.clear();
  if (status != 0) return Error(ErrorSource::kScript, std::move(error));
  const int base = lua_gettop(L) - 3;
  Decision d;
  const double desired = std::ceil(lua_tonumber(L, base));
  d.desired = int32_t(std::clamp(desired, -1e9, 1e9));
  d.recommendation = lua_isnil(L, base + 2)
                         ? d.desired
                         : int32_t(std::clamp(std::ceil(lua_tonumber(L, base + 2)), -1e9, 1e9));
  if (lua_type(L, base + 1) == LUA_TSTRING) {
    size_t len = 0;
    const char* reason = lua_tolstring(L, base + 1, &len);
    d.reason.assign(reason, len);
  }
  d.inputs = std::move(inputs_);
  inputs_.clear();
  if (lua_istable(L, base + 3)) {
    lua_pushnil(L);
    while (lua_next(L, base + 3) != 0) {
      // Only string keys and number values: converting others would disturb lua_next.
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER) {
        size_t len = 0;
        const char* key = lua_tolstring(L, -2, &len);
        d.inputs.emplace_back(std::string(key, len), lua_tonumber(L, -1));
      }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 4);
  return d;
}

nlohmann::json LuaPolicy::saveState() const {
  lua_State* L = vm_->state();
  lua_rawgeti(L, LUA_REGISTRYINDEX, state_ref_);
  Result<nlohmann::json> state = toJson(L, -1);
  lua_pop(L, 1);
  if (!state) return nlohmann::json::object();
  return state.value().is_array() && state.value().empty() ? nlohmann::json::object()
                                                           : std::move(state.value());
}

Result<Ok> LuaPolicy::restoreState(const nlohmann::json& state) {
  if (!state.is_object()) return Error(ErrorSource::kConfig, name_ + ": state must be an object");
  lua_State* L = vm_->state();
  SetupArgs args{this, &state};
  if (lua_cpcall(L, Protected::restore, &args) != 0) {
    std::string message = lua_isstring(L, -1) ? lua_tostring(L, -1) : "restore failed";
    lua_pop(L, 1);
    return Error(ErrorSource::kScript, name_ + ": " + message);
  }
  return Ok{};
}

}  // namespace tidegate::scale
