// tg.shared.<name>: the process-wide dicts (shared_dict.h), one object per dict per VM.
//   d:get(key) -> value | nil
//   d:set(key, value, ttl?) -> true | nil, "no memory"      (value nil deletes)
//   d:add(key, value, ttl?) -> true | nil, "exists" | nil, "no memory"
//   d:incr(key, delta, init?, init_ttl?) -> n | nil, "not found" | nil, "not a number"
//   d:delete(key)   d:flush_all()
// Values are booleans, numbers or strings; TTLs are seconds. The C++ call never runs with a
// Lua allocation pending: values are copied out first and pushed after the lock is released.

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/shared_dict.h"

namespace tidegate::lua::api {
namespace {

constexpr uint32_t kDictMagic = 0x73686463;  // "shdc"
constexpr size_t kMaxKeyBytes = 65535;

struct DictHandle {
  uint32_t magic;
  SharedDict* dict;
};

SharedDict& checkDict(lua_State* L) {
  auto* h = static_cast<DictHandle*>(lua_touserdata(L, 1));
  if (h == nullptr || h->magic != kDictMagic) {
    luaL_error(L, "expected a shared dict as self (call it as dict:method(...))");
  }
  return *h->dict;
}

std::string_view checkKey(lua_State* L) {
  const int t = lua_type(L, 2);
  if (t != LUA_TSTRING && t != LUA_TNUMBER) luaL_error(L, "shared dict key must be a string");
  const std::string_view key = binding::checkView(L, 2);
  if (key.empty()) luaL_error(L, "shared dict key must not be empty");
  if (key.size() > kMaxKeyBytes) luaL_error(L, "shared dict key is longer than 65535 bytes");
  return key;
}

SharedDict::ValueRef checkValue(lua_State* L, int idx) {
  SharedDict::ValueRef v;
  switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL:
      v.type = SharedDict::Type::kNil;
      break;
    case LUA_TBOOLEAN:
      v.type = SharedDict::Type::kBoolean;
      v.boolean = lua_toboolean(L, idx);
      break;
    case LUA_TNUMBER:
      v.type = SharedDict::Type::kNumber;
      v.number = lua_tonumber(L, idx);
      break;
    case LUA_TSTRING:
      v.type = SharedDict::Type::kString;
      v.string = binding::checkView(L, idx);
      break;
    default:
      luaL_error(L, "shared dict values are booleans, numbers or strings (got a %s)",
                 luaL_typename(L, idx));
  }
  return v;
}

int get(lua_State* L) {
  SharedDict& d = checkDict(L);
  const std::string_view key = checkKey(L);
  thread_local SharedDict::Value value;  // reused: no allocation per get once warm
  const auto status = binding::guarded(L, [&] { return d.get(key, value); });
  if (status != SharedDict::Status::kOk) {
    lua_pushnil(L);
    return 1;
  }
  switch (value.type) {
    case SharedDict::Type::kBoolean:
      lua_pushboolean(L, value.boolean);
      break;
    case SharedDict::Type::kNumber:
      lua_pushnumber(L, value.number);
      break;
    case SharedDict::Type::kString:
      binding::pushView(L, value.string);
      break;
    case SharedDict::Type::kNil:
      lua_pushnil(L);
      break;
  }
  return 1;
}

int storeResult(lua_State* L, SharedDict::Status status) {
  switch (status) {
    case SharedDict::Status::kOk:
      lua_pushboolean(L, 1);
      return 1;
    case SharedDict::Status::kExists:
      return binding::nilError(L, "exists");
    case SharedDict::Status::kTooLarge:
      return binding::nilError(L, "no memory");
    case SharedDict::Status::kNotFound:
      return binding::nilError(L, "not found");
    case SharedDict::Status::kNotANumber:
      return binding::nilError(L, "not a number");
  }
  return 0;
}

int set(lua_State* L) {
  SharedDict& d = checkDict(L);
  const std::string_view key = checkKey(L);
  const SharedDict::ValueRef value = checkValue(L, 3);
  const double ttl = luaL_optnumber(L, 4, 0);
  return storeResult(L, binding::guarded(L, [&] { return d.set(key, value, ttl); }));
}

int add(lua_State* L) {
  SharedDict& d = checkDict(L);
  const std::string_view key = checkKey(L);
  const SharedDict::ValueRef value = checkValue(L, 3);
  const double ttl = luaL_optnumber(L, 4, 0);
  return storeResult(L, binding::guarded(L, [&] { return d.add(key, value, ttl); }));
}

int incr(lua_State* L) {
  SharedDict& d = checkDict(L);
  const std::string_view key = checkKey(L);
  const double delta = luaL_checknumber(L, 3);
  double init = 0;
  const bool has_init = !lua_isnoneornil(L, 4);
  if (has_init) init = luaL_checknumber(L, 4);
  const double init_ttl = luaL_optnumber(L, 5, 0);
  double out = 0;
  const auto status = binding::guarded(
      L, [&] { return d.incr(key, delta, out, has_init ? &init : nullptr, init_ttl); });
  if (status != SharedDict::Status::kOk) return storeResult(L, status);
  lua_pushnumber(L, out);
  return 1;
}

int remove(lua_State* L) {
  SharedDict& d = checkDict(L);
  const std::string_view key = checkKey(L);
  binding::guarded(L, [&] { d.remove(key); });
  return 0;
}

int flushAll(lua_State* L) {
  SharedDict& d = checkDict(L);
  binding::guarded(L, [&] { d.flushAll(); });
  return 0;
}

const luaL_Reg kMethods[] = {
    {"get", get},       {"set", set},       {"add", add},
    {"incr", incr},     {"delete", remove}, {"flush_all", flushAll},
    {nullptr, nullptr},
};

}  // namespace

void openShared(lua_State* L, int tg) {
  lua_newtable(L);  // tg.shared
  const int shared = lua_gettop(L);
  SharedDicts* dicts = LuaVm::from(L).options().shared_dicts;
  if (dicts != nullptr && !dicts->all().empty()) {
    lua_createtable(L, 0, 3);  // metatable of every dict object
    const int mt = lua_gettop(L);
    lua_createtable(L, 0, 6);
    luaL_setfuncs(L, kMethods, 0);
    lua_setfield(L, mt, "__index");
    lua_pushliteral(L, "tidegate.shared_dict");
    lua_setfield(L, mt, "__metatable");
    for (const auto& dict : dicts->all()) {
      auto* h = static_cast<DictHandle*>(lua_newuserdata(L, sizeof(DictHandle)));
      *h = DictHandle{kDictMagic, dict.get()};
      lua_pushvalue(L, mt);
      lua_setmetatable(L, -2);
      lua_setfield(L, shared, dict->name().c_str());
    }
    lua_pop(L, 1);
  }
  lua_setfield(L, tg, "shared");
}

}  // namespace tidegate::lua::api
