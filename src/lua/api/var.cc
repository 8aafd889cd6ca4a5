// tg.var: a table per request, created on first use and passed between that request's hooks
// (on_request -> balance -> on_response -> on_log), released when the request ends and then
// cleared and reused (LuaVm::acquireVarTable). Reached through the metatable of `tg`, so
// requests that never touch it pay nothing.

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/request_context.h"

namespace tidegate::lua::api {
namespace {

// __index of tg: only "var" is computed.
int tgIndex(lua_State* L) {
  LuaVm& vm = LuaVm::from(L);
  if (lua_tostring(L, 2) != vm.keys().var) return 0;
  CallState& call = binding::checkPhase(L, binding::kRequestPhases, "tg.var");
  HookRequestState& state = call.req->hookState();
  if (state.var_ref == LUA_NOREF) state.var_ref = vm.acquireVarTable();
  lua_rawgeti(L, LUA_REGISTRYINDEX, state.var_ref);
  return 1;
}

// tg.var = ... would hide the computed field: refuse new fields in tg altogether.
int tgNewindex(lua_State* L) {
  return luaL_error(L, "tg is read-only (tg.%s cannot be assigned)", luaL_optstring(L, 2, "?"));
}

}  // namespace

void openVar(lua_State* L, int tg) {
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, tgIndex);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, tgNewindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "tidegate.tg");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, tg);
}

}  // namespace tidegate::lua::api
