#include "lua/sandbox.h"

#include <cstring>
#include <random>

namespace tidegate::lua {
namespace {

// Pushes the environment of the Lua function that called the running C function (or the
// globals when there is none): scripts live in their own environments, and nothing a script
// can call should hand it the VM-wide globals every new environment is copied from.
void pushCallerEnv(lua_State* L) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "f", &ar)) {
    if (!lua_iscfunction(L, -1)) {
      lua_getfenv(L, -1);
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 1);
  }
  lua_pushvalue(L, LUA_GLOBALSINDEX);
}

// load(chunk [, chunkname]) and loadstring: source text only, never bytecode (bytecode can
// break the VM's memory safety). A reader function is refused rather than half-supported.
// The chunk runs in the caller's environment (not the VM's globals).
int safeLoad(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    if (lua_isfunction(L, 1)) return luaL_error(L, "load: only strings can be loaded");
    luaL_checktype(L, 1, LUA_TSTRING);
  }
  size_t len = 0;
  const char* code = lua_tolstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, code);
  if (luaL_loadbufferx(L, code, len, name, "t") != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  pushCallerEnv(L);
  lua_setfenv(L, -2);
  return 1;
}

// getfenv(0) and getfenv(c_function) would return the VM's globals: give the caller's own
// environment instead. getfenv(level >= 1) and getfenv(lua_function) are unchanged.
int safeGetfenv(lua_State* L) {
  const bool level0 = lua_type(L, 1) == LUA_TNUMBER && lua_tonumber(L, 1) == 0;
  if (level0 || lua_iscfunction(L, 1)) {
    pushCallerEnv(L);
    return 1;
  }
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_pushinteger(L, 1);
  }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_pushnumber(L, lua_tonumber(L, 1) + 1);  // the original counts from this wrapper
    lua_replace(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// setfenv(0, t) would replace the globals of the whole VM, under every other script.
int safeSetfenv(lua_State* L) {
  if (lua_type(L, 1) == LUA_TNUMBER && lua_tonumber(L, 1) == 0) {
    return luaL_error(L, "setfenv(0, ...) is not allowed");
  }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    // The original counts levels from its caller, which is now this wrapper.
    lua_pushnumber(L, lua_tonumber(L, 1) + 1);
    lua_replace(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// Scripts may measure and nudge the collector, never stop or retune it.
int safeCollectgarbage(lua_State* L) {
  const char* opt = luaL_optstring(L, 1, "collect");
  if (std::strcmp(opt, "collect") == 0) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    lua_pushinteger(L, 0);
    return 1;
  }
  if (std::strcmp(opt, "count") == 0) {
    lua_pushnumber(L, lua_gc(L, LUA_GCCOUNT, 0) + lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
    return 1;
  }
  if (std::strcmp(opt, "step") == 0) {
    lua_pushboolean(L, lua_gc(L, LUA_GCSTEP, static_cast<int>(luaL_optinteger(L, 2, 0))));
    return 1;
  }
  return luaL_error(L, "collectgarbage(\"%s\") is not allowed", opt);
}

void openLibrary(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

void removeField(lua_State* L, int table, const char* name) {
  lua_pushnil(L);
  lua_setfield(L, table, name);
}

}  // namespace

void openSandbox(lua_State* L) {
  openLibrary(L, luaopen_base, "");  // also coroutine
  openLibrary(L, luaopen_table, LUA_TABLIBNAME);
  openLibrary(L, luaopen_string, LUA_STRLIBNAME);
  openLibrary(L, luaopen_math, LUA_MATHLIBNAME);
  openLibrary(L, luaopen_bit, LUA_BITLIBNAME);
  openLibrary(L, luaopen_os, LUA_OSLIBNAME);

  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int g = lua_gettop(L);
  for (const char* name : {"dofile", "loadfile", "newproxy", "module", "require"}) {
    removeField(L, g, name);
  }
  lua_pushcfunction(L, safeLoad);
  lua_setfield(L, g, "load");
  lua_pushcfunction(L, safeLoad);
  lua_setfield(L, g, "loadstring");
  lua_getfield(L, g, "setfenv");
  lua_pushcclosure(L, safeSetfenv, 1);
  lua_setfield(L, g, "setfenv");
  lua_getfield(L, g, "getfenv");
  lua_pushcclosure(L, safeGetfenv, 1);
  lua_setfield(L, g, "getfenv");
  lua_pushcfunction(L, safeCollectgarbage);
  lua_setfield(L, g, "collectgarbage");

  lua_getfield(L, g, LUA_STRLIBNAME);
  removeField(L, lua_gettop(L), "dump");
  lua_pop(L, 1);

  // os: time and date only (no execute, exit, getenv, remove, rename, tmpname, setlocale).
  lua_getfield(L, g, LUA_OSLIBNAME);
  const int os = lua_gettop(L);
  lua_createtable(L, 0, 3);
  for (const char* name : {"time", "clock", "date"}) {
    lua_getfield(L, os, name);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, g, LUA_OSLIBNAME);
  lua_pop(L, 1);

  // Every VM its own random sequence, so percentages (canaries) do not move in lockstep.
  lua_getfield(L, g, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  std::random_device seed;
  lua_pushnumber(L, static_cast<double>(seed() & 0x7fffffff));
  lua_call(L, 1, 0);
  lua_pop(L, 2);  // math, globals
}

}  // namespace tidegate::lua
