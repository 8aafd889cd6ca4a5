#pragma once
// Route scripts: ScriptSource is a script's text and name (immutable, any thread); Script is
// that source loaded into one VM, a module whose top level returned a table of optional hooks
// (on_request, balance, on_response, on_log); ScriptSet is one generation of every route's
// script, checked as a whole so that a reload with a broken script can keep the old set.
// ScriptSource, ModuleSources, ScriptSet: any thread. Script: its VM's thread only.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "lua/metric_catalog.h"
#include "lua/vm.h"

namespace tidegate::lua {

class ScriptSource {
 public:
  // Reads a file; its messages carry the path as given ("examples/lua/x.lua:12: ...").
  static Result<std::shared_ptr<const ScriptSource>> fromFile(const std::string& path);
  // Inline code; its messages carry `name` ("route api:3: ...").
  static std::shared_ptr<const ScriptSource> fromString(std::string name, std::string code);

  const std::string& name() const { return name_; }
  const std::string& code() const { return code_; }
  const std::string& chunkName() const { return chunk_name_; }  // "@path" or "=name"

  ScriptSource(std::string name, std::string code, std::string chunk_name)
      : name_(std::move(name)), code_(std::move(code)), chunk_name_(std::move(chunk_name)) {}

 private:
  std::string name_;
  std::string code_;
  std::string chunk_name_;
};

// Where `require` may look: one directory, and the module sources already read from it, shared
// by every VM of one script generation so that workers do not read files (the check run on the
// control thread reads every module required at a script's top level). Thread-safe.
class ModuleSources {
 public:
  explicit ModuleSources(std::string directory) : directory_(std::move(directory)) {}
  // Module "a.b" is <directory>/a/b.lua; names are [A-Za-z0-9_] segments joined by dots.
  Result<std::shared_ptr<const ScriptSource>> get(std::string_view name);
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const ScriptSource>> sources_;
};

enum class Hook : uint8_t { kOnRequest, kBalance, kOnResponse, kOnLog };
inline constexpr int kHookCount = 4;
const char* hookName(Hook hook);

// Failures of one route's script in one VM: relaxed atomics, written by the VM's thread, read
// by any (the proxy sums them across workers for metrics).
struct ScriptCounters {
  std::atomic<uint64_t> errors{0};               // every failed hook call, all causes
  std::atomic<uint64_t> time_limit_exceeded{0};  // of which: over the time limit
  std::atomic<uint64_t> out_of_memory{0};        // of which: memory cap
};

class Script {
 public:
  // Compiles `source` (text only) in `vm`, runs its top level under the time limit
  // with a fresh environment, and checks that it returned a table whose hooks are functions
  // or nil. `modules` (may be null: no require) serves `require` for this script.
  static Result<std::unique_ptr<Script>> load(LuaVm& vm, std::shared_ptr<const ScriptSource> source,
                                              std::shared_ptr<ModuleSources> modules = nullptr);
  ~Script();  // releases its references in the VM: destroy every Script before its LuaVm
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  LuaVm& vm() const { return vm_; }
  const ScriptSource& source() const { return *source_; }
  const std::string& name() const { return source_->name(); }
  bool has(Hook hook) const { return refs_[static_cast<int>(hook)] != LUA_NOREF; }
  int ref(Hook hook) const { return refs_[static_cast<int>(hook)]; }
  int moduleRef() const { return module_ref_; }
  int requestRef() const { return request_ref_; }    // this script's req object
  int responseRef() const { return response_ref_; }  // this script's resp object

  ScriptCounters& counters() const { return counters_; }
  // Logs a hook failure, at most one line a second per script (the rest are counted).
  void logFailure(Hook hook, const std::string& message) const;

 private:
  Script(LuaVm& vm, std::shared_ptr<const ScriptSource> source)
      : vm_(vm), source_(std::move(source)) {}

  LuaVm& vm_;
  std::shared_ptr<const ScriptSource> source_;
  int module_ref_ = LUA_NOREF;
  int request_ref_ = LUA_NOREF;
  int response_ref_ = LUA_NOREF;
  int refs_[kHookCount] = {LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF};
  mutable ScriptCounters counters_;
  mutable int64_t last_log_ms_ = -1'000'000;
  mutable uint64_t suppressed_ = 0;
};

// Pushes a new script environment: a copy of the globals (library tables and tg copied too, so
// a script's assignments stay its own) with a `require` bound to `modules`. Protected mode only.
void pushScriptEnvironment(lua_State* L, const std::shared_ptr<ModuleSources>& modules);

// One generation of every route's script, keyed by route name.
class ScriptSet {
 public:
  struct Entry {
    std::string key;  // the route name
    std::shared_ptr<const ScriptSource> source;
  };

  // Loads every script into a scratch VM with `options` (on the calling thread, normally the
  // control thread), so syntax errors, top-level errors and a wrong return value are found
  // before any worker sees the set. All problems are reported at once, one per line, each
  // "file:line: message". On error the caller keeps its current set.
  // tg.metrics declarations go through `options.declarer` (the scratch VM never records: its
  // `shard` is ignored) into the set's catalog(); after a successful build the caller reserves
  // every worker shard for the registry's layout, then publishes the set.
  static Result<std::shared_ptr<const ScriptSet>> build(std::vector<Entry> entries,
                                                        std::string module_directory,
                                                        const VmOptions& options,
                                                        uint64_t generation);

  uint64_t generation() const { return generation_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const std::shared_ptr<ModuleSources>& modules() const { return modules_; }
  // Every metric series the scripts declared: what their worker VMs resolve declarations from.
  const MetricCatalog& catalog() const { return *catalog_; }

 private:
  ScriptSet() = default;
  uint64_t generation_ = 0;
  std::vector<Entry> entries_;
  std::shared_ptr<ModuleSources> modules_;
  std::shared_ptr<const MetricCatalog> catalog_;
};

// A ScriptSet loaded into one worker VM: what a WorkerSnapshot would hold. Worker thread.
// tg.metrics declarations resolve from the set's catalog (never from the registry); the VM's
// VmOptions::shard must already be reserved for them.
class LoadedScripts {
 public:
  static Result<std::unique_ptr<LoadedScripts>> load(LuaVm& vm,
                                                     std::shared_ptr<const ScriptSet> set);
  // The script of route `key`; null when the route has none.
  Script* find(std::string_view key) const;
  uint64_t generation() const { return set_->generation(); }

 private:
  std::shared_ptr<const ScriptSet> set_;
  std::map<std::string, std::unique_ptr<Script>, std::less<>> scripts_;
};

}  // namespace tidegate::lua
