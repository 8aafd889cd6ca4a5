// req: the request object every hook receives (one per script, bound to the request being
// handled; methods are raw fields so a call costs one table lookup). Getters work in every hook;
// setters, set_upstream only in on_request.
//   req:method() req:path() req:query() req:header(name) req:client_ip() req:route()
//   req:set_method(m) req:set_path(p) req:set_query(q) req:set_header(name, value|nil)
//   req:remove_header(name) req:set_upstream(pool) -> true | nil, err

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/field_checks.h"
#include "lua/request_context.h"

namespace tidegate::lua::api {
namespace {

using binding::bit;

RequestContext& reader(lua_State* L, const char* what) {
  return *binding::checkPhase(L, binding::kRequestPhases, what).req;
}
RequestContext& writer(lua_State* L, const char* what) {
  return *binding::checkPhase(L, bit(Phase::kOnRequest), what).req;
}

int method(lua_State* L) {
  binding::pushView(L, reader(L, "req:method").method());
  return 1;
}
int path(lua_State* L) {
  binding::pushView(L, reader(L, "req:path").path());
  return 1;
}
int query(lua_State* L) {
  binding::pushView(L, reader(L, "req:query").query());
  return 1;
}
int clientIp(lua_State* L) {
  binding::pushView(L, reader(L, "req:client_ip").clientIp());
  return 1;
}
int route(lua_State* L) {
  binding::pushView(L, reader(L, "req:route").routeName());
  return 1;
}

int header(lua_State* L) {
  RequestContext& req = reader(L, "req:header");
  const std::string_view name = binding::checkView(L, 2);
  const std::optional<std::string_view> value = req.header(name);
  if (value) {
    binding::pushView(L, *value);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int setMethod(lua_State* L) {
  RequestContext& req = writer(L, "req:set_method");
  const std::string_view m = binding::checkView(L, 2);
  if (!isToken(m)) return luaL_error(L, "req:set_method: invalid method");
  binding::guarded(L, [&] { req.setMethod(m); });
  return 0;
}

int setPath(lua_State* L) {
  RequestContext& req = writer(L, "req:set_path");
  const std::string_view p = binding::checkView(L, 2);
  if (!isPath(p)) {
    return luaL_error(L,
                      "req:set_path: a path starts with '/' and holds visible ASCII "
                      "without '?' and '#'");
  }
  binding::guarded(L, [&] { req.setPath(p); });
  return 0;
}

int setQuery(lua_State* L) {
  RequestContext& req = writer(L, "req:set_query");
  const std::string_view q = lua_isnoneornil(L, 2) ? std::string_view() : binding::checkView(L, 2);
  if (!isQuery(q)) return luaL_error(L, "req:set_query: invalid query (visible ASCII, no '#')");
  binding::guarded(L, [&] { req.setQuery(q); });
  return 0;
}

int removeHeader(lua_State* L) {
  RequestContext& req = writer(L, "req:remove_header");
  const std::string_view name = checkHeaderName(L, "req:remove_header");
  binding::guarded(L, [&] { req.removeHeader(name); });
  return 0;
}

int setHeader(lua_State* L) {
  RequestContext& req = writer(L, "req:set_header");
  const std::string_view name = checkHeaderName(L, "req:set_header");
  if (lua_isnoneornil(L, 3)) {
    binding::guarded(L, [&] { req.removeHeader(name); });
    return 0;
  }
  const std::string_view value = binding::checkView(L, 3);
  if (!isFieldValue(value)) return luaL_error(L, "req:set_header: invalid header value");
  binding::guarded(L, [&] { req.setHeader(name, value); });
  return 0;
}

int setUpstream(lua_State* L) {
  RequestContext& req = writer(L, "req:set_upstream");
  const std::string_view pool = binding::checkView(L, 2);
  if (!binding::guarded(L, [&] { return req.setUpstream(pool); })) {
    lua_pushnil(L);
    lua_pushfstring(L, "unknown upstream '%s'", lua_tostring(L, 2));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

const luaL_Reg kMethods[] = {
    {"method", method},
    {"path", path},
    {"query", query},
    {"header", header},
    {"client_ip", clientIp},
    {"route", route},
    {"set_method", setMethod},
    {"set_path", setPath},
    {"set_query", setQuery},
    {"set_header", setHeader},
    {"remove_header", removeHeader},
    {"set_upstream", setUpstream},
    {nullptr, nullptr},
};

int readOnly(lua_State* L) {
  return luaL_error(L, "req has no field '%s' to set (keep per-request data in tg.var)",
                    luaL_optstring(L, 2, "?"));
}

}  // namespace

int openRequest(lua_State* L) {
  lua_createtable(L, 0, 12);
  luaL_setfuncs(L, kMethods, 0);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, readOnly);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "tidegate.request");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

}  // namespace tidegate::lua::api
