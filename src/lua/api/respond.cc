// tg.respond(status, body, headers): in on_request, answer the request from the gateway
// instead of forwarding it. `body` is a string (or nil), `headers` a table of name = value
// (a value may be an array of strings for repeated fields). The gateway adds Content-Length.

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/field_checks.h"
#include "lua/request_context.h"

namespace tidegate::lua::api {
namespace {

constexpr size_t kMaxHeaders = 64;

struct HeaderList {
  HeaderRef items[kMaxHeaders];
  size_t count = 0;
};

void addHeader(lua_State* L, HeaderList& list, std::string_view name, int value) {
  if (lua_type(L, value) != LUA_TSTRING && lua_type(L, value) != LUA_TNUMBER) {
    luaL_error(L, "tg.respond: header '%s' must be a string (it is a %s)", name.data(),
               luaL_typename(L, value));
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, value, &len);
  if (!isFieldValue({s, len}))
    luaL_error(L, "tg.respond: invalid value for header '%s'", name.data());
  if (list.count == kMaxHeaders)
    luaL_error(L, "tg.respond: more than %d headers", int(kMaxHeaders));
  list.items[list.count++] = HeaderRef{name, {s, len}};
}

int respond(lua_State* L) {
  CallState& call = binding::checkPhase(L, binding::bit(Phase::kOnRequest), "tg.respond");
  if (call.responded) return luaL_error(L, "tg.respond was already called for this request");
  const lua_Number status = luaL_checknumber(L, 1);
  if (status != static_cast<int>(status) || status < 200 || status > 599) {
    return luaL_error(L, "tg.respond: status must be an integer from 200 to 599");
  }
  std::string_view body;
  if (!lua_isnoneornil(L, 2)) body = binding::checkView(L, 2);
  HeaderList headers;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    // Keys and values stay referenced by the table at index 3, so the views stay valid.
    lua_pushnil(L);
    while (lua_next(L, 3) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING) {
        return luaL_error(L, "tg.respond: header names must be strings");
      }
      size_t len = 0;
      const char* s = lua_tolstring(L, -2, &len);
      const std::string_view name(s, len);
      if (!isToken(name)) return luaL_error(L, "tg.respond: invalid header name '%s'", s);
      if (isManagedHeader(name)) {
        return luaL_error(L, "tg.respond: header '%s' is set by the gateway", s);
      }
      const int value = lua_gettop(L);
      if (lua_istable(L, value)) {
        for (int i = 1;; ++i) {
          lua_rawgeti(L, value, i);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          addHeader(L, headers, name, lua_gettop(L));
          lua_pop(L, 1);  // the string stays alive in the table
        }
      } else {
        addHeader(L, headers, name, value);
      }
      lua_pop(L, 1);
    }
  }
  RequestContext* req = call.req;
  binding::guarded(
      L, [&] { req->respond(static_cast<int>(status), body, headers.items, headers.count); });
  call.responded = true;
  return 0;
}

}  // namespace

void openRespond(lua_State* L, int tg) {
  lua_pushcfunction(L, respond);
  lua_setfield(L, tg, "respond");
}

}  // namespace tidegate::lua::api
