// tg.timer (control VM only): every(seconds, fn) -> id runs fn() every `seconds` from the
// control thread's tick; cancel(id) -> true | false. A failing fn is logged and kept.

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/control_vm.h"

namespace tidegate::lua::api {
namespace {

ControlVm& controlVm(lua_State* L) {
  auto* control = static_cast<ControlVm*>(LuaVm::from(L).timerSink());
  if (control == nullptr) luaL_error(L, "tg.timer is only available in the control VM");
  return *control;
}

int every(lua_State* L) {
  ControlVm& control = controlVm(L);
  const lua_Number seconds = luaL_checknumber(L, 1);
  if (!(seconds >= 0.001)) return luaL_error(L, "tg.timer.every: the interval must be >= 0.001 s");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const int id = binding::guarded(L, [&] { return control.addTimer(seconds, ref); });
  lua_pushinteger(L, id);
  return 1;
}

int cancel(lua_State* L) {
  ControlVm& control = controlVm(L);
  const int id = static_cast<int>(luaL_checkinteger(L, 1));
  lua_pushboolean(L, control.cancelTimer(id));
  return 1;
}

}  // namespace

void openTimer(lua_State* L, int tg) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, every);
  lua_setfield(L, -2, "every");
  lua_pushcfunction(L, cancel);
  lua_setfield(L, -2, "cancel");
  lua_setfield(L, tg, "timer");
}

}  // namespace tidegate::lua::api
