#include "lua/script.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/log.h"
#include "lua/binding.h"
#include "lua/builtins.h"

namespace tidegate::lua {
namespace {

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorSource::kConfig, path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(ErrorSource::kConfig, path + ": cannot read: " + std::strerror(errno));
  return text.str();
}

bool validModuleName(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  bool segment_start = true;
  for (char c : name) {
    if (c == '.') {
      if (segment_start) return false;  // empty segment: "a..b", ".a"
      segment_start = true;
      continue;
    }
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
    segment_start = false;
  }
  return !segment_start;
}

constexpr uint32_t kModulesMagic = 0x6d6f6473;  // "mods"

// A full userdata that keeps the ModuleSources of a `require` alive as long as the closure.
struct ModulesHandle {
  uint32_t magic;
  std::shared_ptr<ModuleSources> modules;
};

int modulesGc(lua_State* L) {
  auto* handle = static_cast<ModulesHandle*>(lua_touserdata(L, 1));
  if (handle != nullptr && handle->magic == kModulesMagic) {
    handle->modules.~shared_ptr();
    handle->magic = 0;
  }
  return 0;
}

void pushRequire(lua_State* L, int handle, int loaded);

// Pushes a copy of `t` (raw fields and metatable); `depth` 2 also copies its table fields.
void pushCopy(lua_State* L, int t, int depth) {
  t = t < 0 && t > LUA_REGISTRYINDEX ? lua_gettop(L) + t + 1 : t;
  lua_newtable(L);
  const int copy = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    if (depth > 1 && lua_istable(L, -1)) {
      pushCopy(L, lua_gettop(L), depth - 1);
      lua_replace(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, copy);
  }
  if (lua_getmetatable(L, t)) lua_setmetatable(L, copy);
}

// Pushes a script's global table: a copy of the VM's globals, with private copies of the
// library tables and of tg, so that a script assigning to them changes nothing for the others,
// and so that a global lookup is one table access (no __index chain).
void pushGlobalsCopy(lua_State* L) {
  lua_newtable(L);
  const int env = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, LUA_GLOBALSINDEX) != 0) {
    if (lua_istable(L, -1) && lua_type(L, -2) == LUA_TSTRING) {
      const char* name = lua_tostring(L, -2);
      const bool is_tg = std::strcmp(name, "tg") == 0;
      if (is_tg || std::strcmp(name, "_G") != 0) {
        pushCopy(L, lua_gettop(L), is_tg ? 2 : 1);
        lua_replace(L, -2);
      }
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, env);
  }
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
}

// require(name): a module from the script generation's directory, loaded once per script.
int require(lua_State* L) {
  const std::string_view name = binding::checkView(L, 1);
  lua_settop(L, 1);
  const int loaded = lua_upvalueindex(2);
  lua_pushvalue(L, 1);
  lua_rawget(L, loaded);
  if (lua_touserdata(L, -1) == &kModulesMagic) {
    return luaL_error(L, "module '%s': loop while loading it", lua_tostring(L, 1));
  }
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);

  auto* handle = static_cast<ModulesHandle*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (handle == nullptr || handle->magic != kModulesMagic || !handle->modules) {
    return luaL_error(L, "require: no module path is configured");
  }
  if (!validModuleName(name)) {
    return luaL_error(L, "require: invalid module name '%s' (letters, digits, _ and dots)",
                      lua_tostring(L, 1));
  }
  std::shared_ptr<const ScriptSource> source;
  std::string problem = binding::guarded(L, [&] {
    auto found = handle->modules->get(name);
    if (!found) return found.error().message();
    source = std::move(found.value());
    return std::string();
  });
  if (!source) {
    lua_pushlstring(L, problem.data(), problem.size());
    problem = std::string();
    return lua_error(L);
  }
  if (luaL_loadbufferx(L, source->code().data(), source->code().size(), source->chunkName().c_str(),
                       "t") != 0) {
    source.reset();
    return lua_error(L);
  }
  source.reset();
  const int chunk = lua_gettop(L);
  // The module's own environment, with the same `require` (same loaded table).
  pushGlobalsCopy(L);
  pushRequire(L, lua_upvalueindex(1), loaded);
  lua_setfield(L, -2, "require");
  lua_setfenv(L, chunk);

  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, const_cast<uint32_t*>(&kModulesMagic));  // "loading" marker
  lua_rawset(L, loaded);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, loaded);
    return lua_error(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, loaded);
  return 1;
}

void pushRequire(lua_State* L, int handle, int loaded) {
  lua_pushvalue(L, handle);
  lua_pushvalue(L, loaded);
  lua_pushcclosure(L, require, 2);
}

}  // namespace

// Protected: builds the environment, runs the top level, validates the returned table and
// takes references to the module and its hooks. Args: the chunk, the Script, the modules.
int loadModuleBuiltin(lua_State* L) {
  auto* script = static_cast<Script*>(lua_touserdata(L, 2));
  auto* modules = static_cast<std::shared_ptr<ModuleSources>*>(lua_touserdata(L, 3));
  lua_settop(L, 1);
  pushScriptEnvironment(L, *modules);
  lua_setfenv(L, 1);
  lua_call(L, 0, 1);
  if (script == nullptr) return 0;  // a control script: its top level is all there is
  if (!lua_istable(L, -1)) {
    return luaL_error(L, "%s: the script must return a table of hooks (it returned %s)",
                      script->name().c_str(), luaL_typename(L, -1));
  }
  const int module = lua_gettop(L);
  int refs[kHookCount];
  for (int i = 0; i < kHookCount; ++i) {
    lua_pushstring(L, hookName(static_cast<Hook>(i)));
    lua_rawget(L, module);
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1)) {
      return luaL_error(L, "%s: %s must be a function (it is a %s)", script->name().c_str(),
                        hookName(static_cast<Hook>(i)), luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
  for (int i = 0; i < kHookCount; ++i) {
    lua_pushstring(L, hookName(static_cast<Hook>(i)));
    lua_rawget(L, module);
    refs[i] = lua_isnil(L, -1) ? (lua_pop(L, 1), LUA_NOREF) : luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_pushvalue(L, module);
  const int module_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  // The script's own req and resp objects (a script that breaks them breaks only itself).
  LuaVm& vm = LuaVm::from(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm.requestTemplateRef());
  pushCopy(L, -1, 1);
  const int request_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm.responseTemplateRef());
  pushCopy(L, -1, 1);
  const int response_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushinteger(L, module_ref);
  lua_pushinteger(L, request_ref);
  lua_pushinteger(L, response_ref);
  for (int ref : refs)
    lua_pushinteger(L, ref);
  return 3 + kHookCount;
}

const char* hookName(Hook hook) {
  switch (hook) {
    case Hook::kOnRequest:
      return "on_request";
    case Hook::kBalance:
      return "balance";
    case Hook::kOnResponse:
      return "on_response";
    case Hook::kOnLog:
      return "on_log";
  }
  return "?";
}

Result<std::shared_ptr<const ScriptSource>> ScriptSource::fromFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return text.error();
  return std::make_shared<const ScriptSource>(path, std::move(text.value()), "@" + path);
}

std::shared_ptr<const ScriptSource> ScriptSource::fromString(std::string name, std::string code) {
  std::string chunk = "=" + name;
  return std::make_shared<const ScriptSource>(std::move(name), std::move(code), std::move(chunk));
}

Result<std::shared_ptr<const ScriptSource>> ModuleSources::get(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = sources_.find(std::string(name));
  if (it != sources_.end()) return it->second;
  std::string path = directory_;
  path += '/';
  for (char c : name)
    path += c == '.' ? '/' : c;
  path += ".lua";
  auto text = readFile(path);
  if (!text) {
    return Error(ErrorSource::kScript,
                 "module '" + std::string(name) + "' not found (" + text.error().message() + ")");
  }
  auto source = std::make_shared<const ScriptSource>(path, std::move(text.value()), "@" + path);
  sources_.emplace(std::string(name), source);
  return source;
}

void pushScriptEnvironment(lua_State* L, const std::shared_ptr<ModuleSources>& modules) {
  pushGlobalsCopy(L);
  const int env = lua_gettop(L);
  auto* handle = static_cast<ModulesHandle*>(lua_newuserdata(L, sizeof(ModulesHandle)));
  handle->magic = kModulesMagic;
  new (&handle->modules) std::shared_ptr<ModuleSources>(modules);
  if (luaL_newmetatable(L, "tidegate.modules")) {
    lua_pushcfunction(L, modulesGc);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "tidegate.modules");
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
  const int handle_index = lua_gettop(L);
  lua_newtable(L);  // loaded modules
  pushRequire(L, handle_index, lua_gettop(L));
  lua_setfield(L, env, "require");
  lua_settop(L, env);
}

Result<std::unique_ptr<Script>> Script::load(LuaVm& vm, std::shared_ptr<const ScriptSource> source,
                                             std::shared_ptr<ModuleSources> modules) {
  lua_State* L = vm.state();
  std::unique_ptr<Script> script(new Script(vm, std::move(source)));
  const ScriptSource& src = *script->source_;
  lua_rawgeti(L, LUA_REGISTRYINDEX, vm.builtinRef(Builtin::kLoadModule));
  auto compiled = vm.load(src.code(), src.chunkName());
  if (!compiled) {
    lua_pop(L, 1);
    return compiled.error();
  }
  lua_pushlightuserdata(L, script.get());
  lua_pushlightuserdata(L, &modules);
  CallState& call = vm.callState();
  const Phase saved = call.phase;
  call.phase = Phase::kLoad;
  std::string error;
  const int status = vm.protectedCall(3, 3 + kHookCount, error);
  call.phase = saved;
  if (status != 0) {
    if (status == LUA_ERRMEM) error = src.name() + ": " + error;
    return Error(ErrorSource::kScript, std::move(error));
  }
  script->module_ref_ = static_cast<int>(lua_tointeger(L, -3 - kHookCount));
  script->request_ref_ = static_cast<int>(lua_tointeger(L, -2 - kHookCount));
  script->response_ref_ = static_cast<int>(lua_tointeger(L, -1 - kHookCount));
  for (int i = 0; i < kHookCount; ++i) {
    script->refs_[i] = static_cast<int>(lua_tointeger(L, -kHookCount + i));
  }
  lua_pop(L, 3 + kHookCount);
  return script;
}

Script::~Script() {
  lua_State* L = vm_.state();
  for (int ref : refs_)
    luaL_unref(L, LUA_REGISTRYINDEX, ref);
  luaL_unref(L, LUA_REGISTRYINDEX, module_ref_);
}

void Script::logFailure(Hook hook, const std::string& message) const {
  const int64_t now = coarseNowMs();
  if (now - last_log_ms_ < 1000) {
    ++suppressed_;
    return;
  }
  if (suppressed_ > 0) {
    log::error("lua: {} failed: {} ({} more failures of this script not logged)", hookName(hook),
               message, suppressed_);
  } else {
    log::error("lua: {} failed: {}", hookName(hook), message);
  }
  last_log_ms_ = now;
  suppressed_ = 0;
}

Result<std::shared_ptr<const ScriptSet>> ScriptSet::build(std::vector<Entry> entries,
                                                          std::string module_directory,
                                                          const VmOptions& options,
                                                          uint64_t generation) {
  VmOptions check_options = options;
  check_options.control = false;
  check_options.shard = nullptr;  // a worker's shard has one writer, and it is not this thread
  check_options.registry = nullptr;
  check_options.windows = nullptr;
  auto vm = LuaVm::create(std::move(check_options));
  if (!vm) return vm.error();
  std::shared_ptr<ModuleSources> modules;
  if (!module_directory.empty()) modules = std::make_shared<ModuleSources>(module_directory);
  auto catalog = std::make_shared<MetricCatalog>();
  (*vm)->setMetricScope({catalog.get(), nullptr});

  std::string problems;
  for (const Entry& entry : entries) {
    auto script = Script::load(**vm, entry.source, modules);
    if (!script) {
      if (!problems.empty()) problems += '\n';
      problems += script.error().message();
    }
  }
  (*vm)->setMetricScope({});
  if (!problems.empty()) return Error(ErrorSource::kScript, std::move(problems));

  std::shared_ptr<ScriptSet> set(new ScriptSet());
  set->generation_ = generation;
  set->entries_ = std::move(entries);
  set->modules_ = std::move(modules);
  set->catalog_ = std::move(catalog);
  return std::shared_ptr<const ScriptSet>(std::move(set));
}

Result<std::unique_ptr<LoadedScripts>> LoadedScripts::load(LuaVm& vm,
                                                           std::shared_ptr<const ScriptSet> set) {
  auto loaded = std::make_unique<LoadedScripts>();
  vm.setMetricScope({nullptr, &set->catalog()});
  for (const ScriptSet::Entry& entry : set->entries()) {
    auto script = Script::load(vm, entry.source, set->modules());
    if (!script) {
      vm.setMetricScope({});
      return script.error();
    }
    loaded->scripts_[entry.key] = std::move(script.value());
  }
  vm.setMetricScope({});
  loaded->set_ = std::move(set);
  return loaded;
}

Script* LoadedScripts::find(std::string_view key) const {
  auto it = scripts_.find(key);
  return it == scripts_.end() ? nullptr : it->second.get();
}

}  // namespace tidegate::lua
