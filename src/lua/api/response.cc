// resp: the response object on_response (read-write) and on_log (read-only) receive, one per
// script, bound to the response being handled; methods are raw fields.
//   resp:status() resp:header(name) resp.backend (the backend object, or nil)
//   resp:set_status(s) resp:set_header(name, value|nil) resp:remove_header(name)
//   resp:keep_body(max_bytes) (on_response)   resp:body() (on_log) -> string | nil

#include "lua/api/api.h"
#include "lua/backend_cache.h"
#include "lua/binding.h"
#include "lua/field_checks.h"
#include "lua/request_context.h"

namespace tidegate::lua::api {
namespace {

using binding::bit;

ResponseContext& reader(lua_State* L, const char* what) {
  return *binding::checkPhase(L, binding::kResponsePhases, what).resp;
}
ResponseContext& writer(lua_State* L, const char* what) {
  return *binding::checkPhase(L, bit(Phase::kOnResponse), what).resp;
}

int status(lua_State* L) {
  lua_pushinteger(L, reader(L, "resp:status").status());
  return 1;
}

int header(lua_State* L) {
  ResponseContext& resp = reader(L, "resp:header");
  const std::string_view name = binding::checkView(L, 2);
  const std::optional<std::string_view> value = resp.header(name);
  if (value) {
    binding::pushView(L, *value);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int setStatus(lua_State* L) {
  ResponseContext& resp = writer(L, "resp:set_status");
  const lua_Number s = luaL_checknumber(L, 2);
  if (s != static_cast<int>(s) || s < 200 || s > 599) {
    return luaL_error(L, "resp:set_status: status must be an integer from 200 to 599");
  }
  binding::guarded(L, [&] { resp.setStatus(static_cast<int>(s)); });
  return 0;
}

int removeHeader(lua_State* L) {
  ResponseContext& resp = writer(L, "resp:remove_header");
  const std::string_view name = checkHeaderName(L, "resp:remove_header");
  binding::guarded(L, [&] { resp.removeHeader(name); });
  return 0;
}

int setHeader(lua_State* L) {
  ResponseContext& resp = writer(L, "resp:set_header");
  const std::string_view name = checkHeaderName(L, "resp:set_header");
  if (lua_isnoneornil(L, 3)) {
    binding::guarded(L, [&] { resp.removeHeader(name); });
    return 0;
  }
  const std::string_view value = binding::checkView(L, 3);
  if (!isFieldValue(value)) return luaL_error(L, "resp:set_header: invalid header value");
  binding::guarded(L, [&] { resp.setHeader(name, value); });
  return 0;
}

int keepBody(lua_State* L) {
  ResponseContext& resp = writer(L, "resp:keep_body");
  const lua_Number max = luaL_checknumber(L, 2);
  if (!(max >= 0 && max <= 1e12)) return luaL_error(L, "resp:keep_body: invalid size");
  const bool ok = binding::guarded(L, [&] { return resp.keepBody(static_cast<size_t>(max)); });
  if (!ok) return binding::nilError(L, "keeping the body is not supported here");
  lua_pushboolean(L, 1);
  return 1;
}

int body(lua_State* L) {
  ResponseContext& resp = *binding::checkPhase(L, bit(Phase::kOnLog), "resp:body").resp;
  const std::optional<std::string_view> kept = resp.keptBody();
  if (kept) {
    binding::pushView(L, *kept);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int readOnly(lua_State* L) {
  return luaL_error(L, "resp has no field '%s' to set (keep per-request data in tg.var)",
                    luaL_optstring(L, 2, "?"));
}

// __index of resp: the computed field `backend`.
int fieldIndex(lua_State* L) {
  LuaVm& vm = LuaVm::from(L);
  if (lua_tostring(L, 2) != vm.keys().backend) return 0;
  ResponseContext& resp = reader(L, "resp.backend");
  auto [set, index] = resp.backend();
  if (!set || index < 0 || static_cast<size_t>(index) >= set->size()) {
    lua_pushnil(L);
    return 1;
  }
  vm.backends().pushObject(L, set, index);
  return 1;
}

const luaL_Reg kMethods[] = {
    {"status", status},
    {"header", header},
    {"set_status", setStatus},
    {"set_header", setHeader},
    {"remove_header", removeHeader},
    {"keep_body", keepBody},
    {"body", body},
    {nullptr, nullptr},
};

}  // namespace

int openResponse(lua_State* L) {
  lua_createtable(L, 0, 8);
  luaL_setfuncs(L, kMethods, 0);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, fieldIndex);  // resp.backend
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readOnly);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "tidegate.response");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

int openTiming(lua_State* L) {
  lua_createtable(L, 0, 4);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

}  // namespace tidegate::lua::api
