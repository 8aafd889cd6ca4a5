// tg.var: a table per request, created on first use and passed between that request's hooks
// (on_request -> balance -> on_response -> on_log), released when the request ends. Reached
// through the metatable of `tg`, so requests that never touch it pay nothing.

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
  if (state.var_ref == LUA_NOREF) {
    lua_newtable(L);
    state.var_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, state.var_ref);
  return 1;
}

}  // namespace

void openVar(lua_State* L, int tg) {
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, tgIndex);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, tg);
}

}  // namespace tidegate::lua::api
