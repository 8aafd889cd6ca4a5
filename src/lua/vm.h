#pragma once
// LuaVm: one sandboxed LuaJIT state with a memory cap and a per-call CPU-time limit.
// Owned by one thread (a worker, or the control thread); only that thread may call it.
//
// Why this file exists, and where the difficulty is: a runaway call is stopped by a debug hook
// that a watchdog arms only when the call overruns (call_watch.h), and LuaJIT's compiled traces
// never run debug hooks, so a hook cannot stop a JIT-compiled `while true do end`. The VM
// therefore runs with the JIT engine off (user code is interpreted) and the bindings use the
// classic C API, which is several times faster than FFI from interpreted code (measured:
// docs/lua-api.md, "Performance"). Lua errors unwind through C frames; no C++ exception may
// cross lua_pcall, so every binding catches its own (see binding.h).

#include <lua.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lua/call_watch.h"

namespace tidegate::metrics {
class MetricShard;
class SeriesRegistry;
class WindowStore;
}  // namespace tidegate::metrics

namespace tidegate::lua {

class SharedDicts;
class MetricsDeclarer;
class MetricCatalog;
class RequestContext;
class ResponseContext;
class BackendCache;
struct LogTimings;
enum class Builtin : int;

struct VmOptions {
  // Bytes the Lua heap may hold; an allocation past it fails ("not enough memory").
  size_t memory_limit_bytes = size_t{64} << 20;
  // CPU time one call (a hook, a timer, a script's top level) may use before it fails: a
  // runaway stalls its thread for between this and about 1.5 times this (call_watch.h).
  // least_loaded.lua over 32 backends takes about 5 us.
  std::chrono::milliseconds time_limit{10};
  // tg.shared: the process-wide dicts; null means tg.shared is empty.
  SharedDicts* shared_dicts = nullptr;
  // tg.now(): seconds since the epoch; empty means the wall clock. Injectable for tests.
  std::function<double()> now;
  // The control VM gets tg.timer and tg.metrics.window; worker VMs do not.
  bool control = false;
  // tg.metrics (metric_catalog.h). `shard`: where this VM's recordings go, a shard its own
  // thread writes (a worker's, or the control thread's own); null: recording does nothing
  // (ScriptSet::build's scratch VM always runs without one).
  metrics::MetricShard* shard = nullptr;
  // Control-thread VMs only (ScriptSet::build's scratch VM, the control VM): registers what a
  // top level declares. Null: declarations are checked against a private registry and record
  // nothing (`tidegate check`).
  MetricsDeclarer* declarer = nullptr;
  // Control VM only: what tg.metrics.window reads.
  const metrics::SeriesRegistry* registry = nullptr;
  const metrics::WindowStore* windows = nullptr;
};

// What the VM is running now; bindings check it (req:set_header only in on_request, ...).
enum class Phase : uint8_t {
  kIdle,  // nothing (between calls)
  kLoad,  // a script's top level
  kOnRequest,
  kBalance,
  kOnResponse,
  kOnLog,
  kTimer,
};
const char* phaseName(Phase phase);

// The per-call state the bindings read. Set by hooks.cc around each call, cleared after.
struct CallState {
  Phase phase = Phase::kIdle;
  RequestContext* req = nullptr;
  ResponseContext* resp = nullptr;
  const LogTimings* timings = nullptr;
  bool responded = false;  // tg.respond was called in this on_request
};

class LuaVm {
 public:
  // Creates the state, installs the sandbox and the tg.* API. Fails only on resource limits.
  static Result<std::unique_ptr<LuaVm>> create(VmOptions options);
  ~LuaVm();
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  // Stack slot 1 holds the message handler for the life of the VM, so that an outermost
  // protectedCall names it instead of inserting one; an idle VM's stack holds only that.
  static constexpr int kHandlerSlot = 1;
  static constexpr int kIdleStackTop = 1;

  // The VM that owns `L` (any coroutine of it). Constant time: the allocator's user data.
  static LuaVm& from(lua_State* L) {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    return *static_cast<LuaVm*>(ud);
  }

  lua_State* state() const { return L_; }
  const VmOptions& options() const { return options_; }
  size_t memoryUsed() const { return memory_used_; }
  size_t memoryLimit() const { return options_.memory_limit_bytes; }
  double now() const { return options_.now(); }

  // Compiles Lua source text (bytecode is refused) and pushes the function. `chunk_name` is
  // "@path" for files or "=name" for inline code; errors read "path:line: message".
  Result<Ok> load(std::string_view code, const std::string& chunk_name);

  // Calls the function below the `nargs` arguments on top of the stack, under a fresh
  // time limit. Returns the lua status (0: the results are on the stack). On failure
  // nothing is left on the stack and `error` holds one line, "script:line: message".
  int protectedCall(int nargs, int nresults, std::string& error);
  // The same for cold paths.
  Result<Ok> call(int nargs, int nresults);

  CallState& callState() { return call_; }
  // Whether the last protectedCall was stopped for running past the time limit.
  bool timeLimitExceeded() const { return time_limit_exceeded_; }
  BackendCache& backends() { return *backends_; }

  // Interned field names the bindings compare by pointer (Lua strings are unique).
  struct Keys {
    const char* id;
    const char* address;
    const char* weight;
    const char* inflight;
    const char* ewma_ms;
    const char* error_rate;
    const char* healthy;
    const char* metric;
    const char* var;
    const char* backend;
  };
  const Keys& keys() const { return keys_; }

  // Registry references of the templates scripts copy their req/resp objects from, and of the
  // on_log timing table.
  int requestTemplateRef() const { return request_ref_; }
  int responseTemplateRef() const { return response_ref_; }
  int timingRef() const { return timing_ref_; }
  // The closure of an internal C function (builtins.h), made at setup.
  int builtinRef(Builtin which) const { return builtin_refs_[static_cast<int>(which)]; }

  // tg.var tables are recycled: a request takes a cleared one (a registry reference) and gives
  // it back when it ends, so a request that uses tg.var allocates nothing once warm.
  int acquireVarTable();          // protected mode only (may allocate)
  void releaseVarTable(int ref);  // any time; never allocates

  // Set by api/timer.cc for the control VM: where tg.timer.every registers.
  void setTimerSink(void* sink) { timer_sink_ = sink; }
  void* timerSink() const { return timer_sink_; }

  // Where tg.metrics declarations go while a script's top level runs; script.cc sets it around
  // the call. `record`: the catalog of a ScriptSet being built (control thread); `lookup`: the
  // catalog of the set a worker loads, the only place its declarations are resolved from.
  struct MetricScope {
    MetricCatalog* record = nullptr;
    const MetricCatalog* lookup = nullptr;
  };
  void setMetricScope(MetricScope scope) { metric_scope_ = scope; }
  const MetricScope& metricScope() const { return metric_scope_; }
  // Declarations without VmOptions::declarer are checked against a registry of the VM's own.
  MetricsDeclarer& checkingDeclarer();

 private:
  explicit LuaVm(VmOptions options);
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  static void stopHook(lua_State* L, lua_Debug* ar);
  static int messageHandler(lua_State* L);
  static int setup(lua_State* L);
  std::string takeError(int status);

  VmOptions options_;
  lua_State* L_ = nullptr;
  size_t memory_used_ = 0;
  bool time_limit_exceeded_ = false;
  int call_depth_ = 0;  // protectedCalls in progress; the watch times the outermost
  std::unique_ptr<CallWatch> watch_;
  CallState call_;
  Keys keys_{};
  int handler_ref_ = LUA_NOREF;
  int request_ref_ = LUA_NOREF;
  int response_ref_ = LUA_NOREF;
  int timing_ref_ = LUA_NOREF;
  int builtin_refs_[3] = {LUA_NOREF, LUA_NOREF, LUA_NOREF};
  std::unique_ptr<BackendCache> backends_;
  void* timer_sink_ = nullptr;
  std::vector<int> free_var_refs_;
  MetricScope metric_scope_;
  struct CheckingMetrics;
  std::unique_ptr<CheckingMetrics> checking_metrics_;
};

}  // namespace tidegate::lua
