// Header-name arguments shared by the req and resp bindings.

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/field_checks.h"

namespace tidegate::lua::api {

std::string_view checkHeaderName(lua_State* L, const char* what) {
  const std::string_view name = binding::checkView(L, 2);
  if (!isToken(name)) luaL_error(L, "%s: invalid header name", what);
  if (isManagedHeader(name))
    luaL_error(L, "%s: header '%s' is managed by the gateway", what, lua_tostring(L, 2));
  return name;
}

}  // namespace tidegate::lua::api
