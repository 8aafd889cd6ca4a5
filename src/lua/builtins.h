#pragma once
// The C functions the VM itself calls through lua_pcall (script loading, the balance and
// on_log trampolines, timers). Their closures are made once when the VM is set up, so that
// entering protected mode never allocates outside it. Internal to src/lua/; VM thread.

#include <lua.hpp>

namespace tidegate::lua {

enum class Builtin : int { kLoadModule, kBalance, kOnLog, kCount };

// Args: the chunk, the Script* (null for a control script), the ModuleSources*.
int loadModuleBuiltin(lua_State* L);  // script.cc
int balanceBuiltin(lua_State* L);     // hooks.cc
int onLogBuiltin(lua_State* L);       // hooks.cc

}  // namespace tidegate::lua
