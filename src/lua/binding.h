#pragma once
// Helpers shared by the lua_CFunction bindings in api/: argument conversion, phase checks, and
// running C++ that may throw without letting an exception cross a Lua frame. Internal to
// src/lua/; called on the VM's owning thread, from inside a protected call.

#include <lua.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <string_view>
#include <type_traits>

#include "lua/vm.h"

namespace tidegate::lua::binding {

constexpr uint32_t bit(Phase p) {
  return 1u << static_cast<uint8_t>(p);
}
constexpr uint32_t kRequestPhases =
    bit(Phase::kOnRequest) | bit(Phase::kBalance) | bit(Phase::kOnResponse) | bit(Phase::kOnLog);
constexpr uint32_t kResponsePhases = bit(Phase::kOnResponse) | bit(Phase::kOnLog);

// Raises "<what> is not available in <phase>" unless the VM runs one of `allowed`.
inline CallState& checkPhase(lua_State* L, uint32_t allowed, const char* what) {
  CallState& call = LuaVm::from(L).callState();
  if ((allowed & bit(call.phase)) == 0) {
    luaL_error(L, "%s is not available in %s", what, phaseName(call.phase));
  }
  return call;
}

inline std::string_view checkView(lua_State* L, int idx) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, idx, &len);
  return {s, len};
}

inline void pushView(lua_State* L, std::string_view s) {
  lua_pushlstring(L, s.data(), s.size());
}

// Pushes nil and `message`; returns 2 (the `nil, err` convention).
inline int nilError(lua_State* L, const char* message) {
  lua_pushnil(L);
  lua_pushstring(L, message);
  return 2;
}

// Runs `f` and returns its result. An exception becomes a Lua error raised after the handler
// has finished, so no exception ever unwinds through Lua and no C++ object is live while Lua
// unwinds. `f` must not call the Lua API (a Lua error inside it would skip its cleanup).
template <typename F>
auto guarded(lua_State* L, F&& f) -> decltype(f()) {
  using R = decltype(f());
  char message[160];
  try {
    if constexpr (std::is_void_v<R>) {
      f();
      return;
    } else {
      return f();
    }
  } catch (const std::bad_alloc&) {
    std::snprintf(message, sizeof message, "out of memory (gateway)");
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "internal error: %s", e.what());
  } catch (...) {
    std::snprintf(message, sizeof message, "internal error");
  }
  luaL_error(L, "%s", message);
  if constexpr (!std::is_void_v<R>) return R{};  // not reached: luaL_error does not return
}

}  // namespace tidegate::lua::binding
