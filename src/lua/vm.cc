#include "lua/vm.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/log.h"
#include "lua/api/api.h"
#include "lua/backend_cache.h"
#include "lua/builtins.h"
#include "lua/metric_catalog.h"
#include "lua/sandbox.h"
#include "metrics/series_registry.h"

namespace tidegate::lua {
namespace {

double wallClockSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Every call is protected, so a panic means a bug in this module: say so and stop.
int panic(lua_State* L) {
  const char* message = lua_tostring(L, -1);
  log::error("lua: unprotected error (bug): {}", message ? message : "?");
  std::abort();
}

// "src:123: " at the start of a message: it already says where.
bool hasPosition(const char* s, size_t len) {
  const char* colon = static_cast<const char*>(std::memchr(s, ':', len < 256 ? len : 256));
  if (colon == nullptr) return false;
  const char* p = colon + 1;
  const char* end = s + len;
  const char* digits = p;
  while (p < end && *p >= '0' && *p <= '9')
    ++p;
  return p > digits && p < end && *p == ':';
}

// Pushes "src:line:" of the innermost Lua function at or below `level`, or "".
void pushWhere(lua_State* L, int level) {
  lua_Debug ar;
  for (; lua_getstack(L, level, &ar); ++level) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

}  // namespace

namespace {
constexpr size_t kVarPoolSize = 256;   // tables kept for reuse
constexpr int kVarPoolMaxFields = 32;  // a table that grew larger is dropped, not kept
}  // namespace

const char* phaseName(Phase phase) {
  switch (phase) {
    case Phase::kIdle:
      return "no call";
    case Phase::kLoad:
      return "the script's top level";
    case Phase::kOnRequest:
      return "on_request";
    case Phase::kBalance:
      return "balance";
    case Phase::kOnResponse:
      return "on_response";
    case Phase::kOnLog:
      return "on_log";
    case Phase::kTimer:
      return "a timer";
  }
  return "?";
}

struct LuaVm::CheckingMetrics {
  metrics::SeriesRegistry registry;
  RegistryDeclarer declarer{registry};
};

LuaVm::LuaVm(VmOptions options)
    : options_(std::move(options)), backends_(std::make_unique<BackendCache>()) {
  if (!options_.now) options_.now = wallClockSeconds;
}

LuaVm::~LuaVm() {
  watch_.reset();
  if (L_ != nullptr) lua_close(L_);
}

MetricsDeclarer& LuaVm::checkingDeclarer() {
  if (!checking_metrics_) checking_metrics_ = std::make_unique<CheckingMetrics>();
  return checking_metrics_->declarer;
}

void* LuaVm::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* vm = static_cast<LuaVm*>(ud);
  if (nsize == 0) {
    if (ptr != nullptr) {
      std::free(ptr);
      vm->memory_used_ -= osize;
    }
    return nullptr;
  }
  const size_t old_size = ptr != nullptr ? osize : 0;
  const size_t used = vm->memory_used_ - old_size + nsize;
  // Growing past the cap fails; Lua raises "not enough memory" in the call that asked.
  // Shrinking must never fail.
  if (nsize > old_size && used > vm->options_.memory_limit_bytes) return nullptr;
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  vm->memory_used_ = used;
  return p;
}

// Armed by the watchdog's signal (call_watch.h); runs at the call's next VM instruction.
void LuaVm::stopHook(lua_State* L, lua_Debug* ar) {
  LuaVm& vm = from(L);
  vm.time_limit_exceeded_ = true;
  // Sticky: from now on every instruction fails, so a pcall in the script cannot swallow it.
  // CallWatch::end removes it when the outermost call returns.
  lua_sethook(L, stopHook, LUA_MASKCOUNT, 1);
  const long limit_ms = long(vm.options_.time_limit.count());
  if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
    luaL_error(L, "%s:%d: time limit exceeded (%d ms of CPU)", ar->short_src, ar->currentline,
               int(limit_ms));
  }
  luaL_error(L, "time limit exceeded (%d ms of CPU)", int(limit_ms));
}

// Makes every error one string that says where: "src:line: message".
int LuaVm::messageHandler(lua_State* L) {
  size_t len = 0;
  if (lua_type(L, 1) == LUA_TSTRING) {
    const char* s = lua_tolstring(L, 1, &len);
    if (hasPosition(s, len)) return 1;
    pushWhere(L, 1);
    lua_pushvalue(L, 1);
    lua_concat(L, 2);
    return 1;
  }
  pushWhere(L, 1);
  lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  lua_concat(L, 2);
  return 1;
}

namespace {
void internKey(lua_State* L, const char*& slot, const char* text) {
  lua_pushstring(L, text);
  slot = lua_tostring(L, -1);
  luaL_ref(L, LUA_REGISTRYINDEX);  // kept alive for the life of the VM
}
}  // namespace

int LuaVm::setup(lua_State* L) {
  LuaVm& vm = from(L);
  openSandbox(L);

  lua_pushcfunction(L, messageHandler);
  vm.handler_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  static_assert(static_cast<int>(Builtin::kCount) == 3);
  const lua_CFunction builtins[] = {loadModuleBuiltin, balanceBuiltin, onLogBuiltin};
  for (int i = 0; i < static_cast<int>(Builtin::kCount); ++i) {
    lua_pushcfunction(L, builtins[i]);
    vm.builtin_refs_[i] = luaL_ref(L, LUA_REGISTRYINDEX);
  }

  Keys& k = vm.keys_;
  internKey(L, k.id, "id");
  internKey(L, k.address, "address");
  internKey(L, k.weight, "weight");
  internKey(L, k.inflight, "inflight");
  internKey(L, k.ewma_ms, "ewma_ms");
  internKey(L, k.error_rate, "error_rate");
  internKey(L, k.healthy, "healthy");
  internKey(L, k.metric, "metric");
  internKey(L, k.var, "var");
  internKey(L, k.backend, "backend");

  lua_newtable(L);
  const int tg = lua_gettop(L);
  api::openLog(L, tg);
  api::openTime(L, tg);
  api::openRespond(L, tg);
  api::openShared(L, tg);
  if (vm.options_.control) api::openTimer(L, tg);
  api::openMetrics(L, tg);
  api::openVar(L, tg);  // last: it makes tg refuse new fields
  lua_setglobal(L, "tg");

  vm.request_ref_ = api::openRequest(L);
  vm.response_ref_ = api::openResponse(L);
  vm.timing_ref_ = api::openTiming(L);
  api::openBackends(L);
  return 0;
}

Result<std::unique_ptr<LuaVm>> LuaVm::create(VmOptions options) {
  if (options.time_limit.count() <= 0) {
    return Error(ErrorSource::kConfig, "lua: the time limit must be positive");
  }
  std::unique_ptr<LuaVm> vm(new LuaVm(std::move(options)));
  vm->L_ = lua_newstate(&LuaVm::allocate, vm.get());
  if (vm->L_ == nullptr) {
    return Error(ErrorSource::kInternal, "lua: cannot create a state (memory limit too low?)");
  }
  lua_State* L = vm->L_;
  lua_atpanic(L, panic);
  // Hooks never run inside compiled traces: interpret everything (see vm.h).
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  if (lua_cpcall(L, &LuaVm::setup, nullptr) != 0) {
    std::string message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown error";
    return Error(ErrorSource::kInternal, "lua: cannot set up the VM: " + message);
  }
  lua_settop(L, 0);
  // Stack slot 1 holds the message handler for the life of the VM: an outermost call starts
  // from an idle stack, so it can name slot 1 as its handler instead of inserting one.
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm->handler_ref_);
  vm->free_var_refs_.reserve(kVarPoolSize);
  vm->watch_ = std::make_unique<CallWatch>(L, &LuaVm::stopHook, vm->options_.time_limit);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return vm;
}

Result<Ok> LuaVm::load(std::string_view code, const std::string& chunk_name) {
  const int status = luaL_loadbufferx(L_, code.data(), code.size(), chunk_name.c_str(), "t");
  if (status == 0) return Ok{};
  std::string message = takeError(status);
  if (status == LUA_ERRMEM) lua_gc(L_, LUA_GCCOLLECT, 0);
  return Error(ErrorSource::kScript, std::move(message));
}

std::string LuaVm::takeError(int status) {
  std::string message;
  size_t len = 0;
  const char* s = lua_tolstring(L_, -1, &len);
  if (s != nullptr) {
    message.assign(s, len);
  } else {
    message = "(error object is not a string)";
  }
  lua_pop(L_, 1);
  if (status == LUA_ERRMEM) {
    message += " (lua memory limit " + std::to_string(options_.memory_limit_bytes) + " bytes)";
  } else if (status == LUA_ERRERR) {
    message = "error while handling an error: " + message;
  }
  return message;
}

int LuaVm::protectedCall(int nargs, int nresults, std::string& error) {
  lua_State* L = L_;
  const bool outermost = call_depth_++ == 0;
  // Nested calls run inside some C function's frame, where slot 1 is not the handler.
  const int base = lua_gettop(L) - nargs;  // the function
  if (!outermost) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref_);
    lua_insert(L, base);
  } else {
    assert(lua_tocfunction(L, kHandlerSlot) == messageHandler && "slot 1 is not the handler");
    time_limit_exceeded_ = false;
    watch_->begin();
  }
  const int handler = outermost ? kHandlerSlot : base;
  const int status = lua_pcall(L, nargs, nresults, handler);
  --call_depth_;
  if (outermost) watch_->end();
  if (status == 0) {
    if (!outermost) lua_remove(L, base);
    return 0;
  }
  error = takeError(status);
  lua_settop(L, base - 1);
  if (status == LUA_ERRMEM) lua_gc(L, LUA_GCCOLLECT, 0);
  return status;
}

int LuaVm::acquireVarTable() {
  if (!free_var_refs_.empty()) {
    const int ref = free_var_refs_.back();
    free_var_refs_.pop_back();
    return ref;
  }
  lua_createtable(L_, 0, 4);
  return luaL_ref(L_, LUA_REGISTRYINDEX);
}

void LuaVm::releaseVarTable(int ref) {
  lua_State* L = L_;
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  const int t = lua_gettop(L);
  // Clearing with lua_next and raw nil stores never allocates (and runs no metamethod).
  int fields = 0;
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, t);
    ++fields;
  }
  lua_pushnil(L);
  lua_setmetatable(L, t);
  lua_settop(L, t - 1);
  if (fields > kVarPoolMaxFields || free_var_refs_.size() >= kVarPoolSize) {
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    return;
  }
  free_var_refs_.push_back(ref);  // capacity reserved at creation: cannot throw
}

Result<Ok> LuaVm::call(int nargs, int nresults) {
  std::string error;
  if (protectedCall(nargs, nresults, error) == 0) return Ok{};
  return Error(ErrorSource::kScript, std::move(error));
}

}  // namespace tidegate::lua
