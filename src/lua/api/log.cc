// tg.log.debug/info/warn/error(...) and print(...): to the gateway's log (core/log.h), each
// line prefixed "[lua] script:line: " like OpenResty's ngx.log. Arguments are concatenated
// (print separates them with tabs); tables and functions print as "table: 0x...".

#include "core/log.h"
#include "lua/api/api.h"
#include "lua/vm.h"

namespace tidegate::lua::api {
namespace {

bool enabled(log::Level level) {
  // core/log.h has no "is this level on" query yet; ask spdlog so that a disabled
  // tg.log.debug costs a compare, not a formatted message.
  switch (level) {
    case log::Level::kDebug:
      return spdlog::should_log(spdlog::level::debug);
    case log::Level::kInfo:
      return spdlog::should_log(spdlog::level::info);
    case log::Level::kWarn:
      return spdlog::should_log(spdlog::level::warn);
    case log::Level::kError:
      return spdlog::should_log(spdlog::level::err);
  }
  return true;
}

void addValue(lua_State* L, luaL_Buffer* b, int i) {
  switch (lua_type(L, i)) {
    case LUA_TSTRING:
    case LUA_TNUMBER: {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      luaL_addlstring(b, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      luaL_addstring(b, lua_toboolean(L, i) ? "true" : "false");
      break;
    case LUA_TNIL:
      luaL_addstring(b, "nil");
      break;
    default:
      // Never calls __tostring: logging must not run script code.
      lua_pushfstring(L, "%s: %p", luaL_typename(L, i), lua_topointer(L, i));
      luaL_addvalue(b);
      break;
  }
}

// Upvalues: the level, and whether to separate arguments with tabs (print).
int logAt(lua_State* L) {
  const auto level = static_cast<log::Level>(lua_tointeger(L, lua_upvalueindex(1)));
  if (!enabled(level)) return 0;
  const bool tabs = lua_toboolean(L, lua_upvalueindex(2));
  const int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "[lua] ");
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
    lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
    luaL_addvalue(&b);
  }
  for (int i = 1; i <= n; ++i) {
    if (tabs && i > 1) luaL_addchar(&b, '\t');
    addValue(L, &b, i);
  }
  luaL_pushresult(&b);
  size_t len = 0;
  const char* s = lua_tolstring(L, -1, &len);
  const std::string_view line(s, len);
  switch (level) {
    case log::Level::kDebug:
      log::debug("{}", line);
      break;
    case log::Level::kInfo:
      log::info("{}", line);
      break;
    case log::Level::kWarn:
      log::warn("{}", line);
      break;
    case log::Level::kError:
      log::error("{}", line);
      break;
  }
  return 0;
}

void pushLogger(lua_State* L, log::Level level, bool tabs) {
  lua_pushinteger(L, static_cast<int>(level));
  lua_pushboolean(L, tabs);
  lua_pushcclosure(L, logAt, 2);
}

}  // namespace

void openLog(lua_State* L, int tg) {
  lua_createtable(L, 0, 4);
  pushLogger(L, log::Level::kDebug, false);
  lua_setfield(L, -2, "debug");
  pushLogger(L, log::Level::kInfo, false);
  lua_setfield(L, -2, "info");
  pushLogger(L, log::Level::kWarn, false);
  lua_setfield(L, -2, "warn");
  pushLogger(L, log::Level::kError, false);
  lua_setfield(L, -2, "error");
  lua_setfield(L, tg, "log");
  pushLogger(L, log::Level::kInfo, true);
  lua_setglobal(L, "print");
}

}  // namespace tidegate::lua::api
