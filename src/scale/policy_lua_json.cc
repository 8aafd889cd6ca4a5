#include "scale/policy_lua_json.h"

#include <cmath>
#include <cstdio>

namespace tidegate::scale {
namespace {

constexpr int kMaxDepth = 32;

Result<nlohmann::json> convert(lua_State* L, int index, int depth) {
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return nlohmann::json(nullptr);
    case LUA_TBOOLEAN:
      return nlohmann::json(lua_toboolean(L, index) != 0);
    case LUA_TNUMBER: {
      const double d = lua_tonumber(L, index);
      if (!std::isfinite(d)) return nlohmann::json(nullptr);
      if (d == std::floor(d) && std::abs(d) < 9e15) return nlohmann::json(int64_t(d));
      return nlohmann::json(d);
    }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      return nlohmann::json(std::string(s, len));
    }
    case LUA_TTABLE:
      break;
    default:
      return Error(ErrorSource::kScript, std::string("cannot turn a ") +
                                             lua_typename(L, lua_type(L, index)) + " into JSON");
  }
  if (depth >= kMaxDepth) {
    return Error(ErrorSource::kScript, "table nested too deeply (or a cycle) for JSON");
  }
  if (index < 0 && index > LUA_REGISTRYINDEX) index = lua_gettop(L) + index + 1;
  if (lua_checkstack(L, 4) == 0) return Error(ErrorSource::kScript, "Lua stack exhausted");
  // Keys are read by type only: lua_tostring on a key would change it under lua_next.
  const size_t n = lua_objlen(L, index);
  size_t count = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++count;
    if (lua_type(L, -2) != LUA_TNUMBER) {
      array = false;
    } else {
      const double k = lua_tonumber(L, -2);
      if (k != std::floor(k) || k < 1 || k > double(n)) array = false;
    }
    lua_pop(L, 1);
  }
  if (array && count == n && n > 0) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, int(i));
      Result<nlohmann::json> item = convert(L, -1, depth + 1);
      lua_pop(L, 1);
      if (!item) return item.error();
      out.push_back(std::move(item.value()));
    }
    return out;
  }
  nlohmann::json out = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    std::string key;
    if (lua_type(L, -2) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, -2, &len);
      key.assign(s, len);
    } else if (lua_type(L, -2) == LUA_TNUMBER) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.17g", lua_tonumber(L, -2));
      key = buf;
    } else {
      lua_pop(L, 2);
      return Error(ErrorSource::kScript, "table keys must be strings or numbers for JSON");
    }
    Result<nlohmann::json> item = convert(L, -1, depth + 1);
    lua_pop(L, 1);
    if (!item) {
      lua_pop(L, 1);
      return item.error();
    }
    out[key] = std::move(item.value());
  }
  return out;
}

}  // namespace

void pushJson(lua_State* L, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, value.get<bool>() ? 1 : 0);
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, value.get<double>());
      return;
    case nlohmann::json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case nlohmann::json::value_t::array: {
      luaL_checkstack(L, 3, "JSON nested too deeply");
      lua_createtable(L, int(value.size()), 0);
      int i = 1;
      for (const auto& item : value) {
        pushJson(L, item);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case nlohmann::json::value_t::object: {
      luaL_checkstack(L, 3, "JSON nested too deeply");
      lua_createtable(L, 0, int(value.size()));
      for (auto it = value.begin(); it != value.end(); ++it) {
        lua_pushlstring(L, it.key().data(), it.key().size());
        pushJson(L, it.value());
        lua_rawset(L, -3);
      }
      return;
    }
    default:
      lua_pushnil(L);
      return;
  }
}

Result<nlohmann::json> toJson(lua_State* L, int index) {
  return convert(L, index, 0);
}

}  // namespace tidegate::scale
