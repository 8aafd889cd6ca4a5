// tg.now(): seconds since the epoch as a number with sub-millisecond precision, from the VM's
// clock (VmOptions::now; the wall clock unless a test injects one).

#include "lua/api/api.h"
#include "lua/vm.h"

namespace tidegate::lua::api {
namespace {

int now(lua_State* L) {
  lua_pushnumber(L, LuaVm::from(L).now());
  return 1;
}

}  // namespace

void openTime(lua_State* L, int tg) {
  lua_pushcfunction(L, now);
  lua_setfield(L, tg, "now");
}

}  // namespace tidegate::lua::api
