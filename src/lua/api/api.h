#pragma once
// The tg.* API, one file per area (OpenResty style): each registers its functions into the
// `tg` table (or the per-VM request/response/backend objects) when a VM is created.
// Internal to src/lua/; called once per VM from LuaVm::create, inside a protected call.

#include <lua.hpp>
#include <string_view>

namespace tidegate::lua {
class LuaVm;
}

namespace tidegate::lua::api {

// Each takes the absolute stack index of the `tg` table.
void openLog(lua_State* L, int tg);      // tg.log.*, print
void openTime(lua_State* L, int tg);     // tg.now
void openVar(lua_State* L, int tg);      // tg.var (through tg's metatable)
void openRespond(lua_State* L, int tg);  // tg.respond
void openShared(lua_State* L, int tg);   // tg.shared.<dict>
void openTimer(lua_State* L, int tg);    // tg.timer (control VM only)
void openMetrics(lua_State* L, int tg);  // tg.metrics (window: control VM only)

// The per-VM singletons passed to hooks; each returns a registry reference.
int openRequest(lua_State* L);   // req
int openResponse(lua_State* L);  // resp
int openTiming(lua_State* L);    // the on_log timing table

// Argument 2 of req/resp header setters: a token that the gateway does not manage itself
// (framing, hop-by-hop); raises a Lua error naming `what` otherwise.
std::string_view checkHeaderName(lua_State* L, const char* what);
void openBackends(lua_State* L);  // the backend object metatable

}  // namespace tidegate::lua::api
