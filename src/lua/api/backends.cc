// Backend objects, as balance(req, backends) and resp.backend see them. Identity fields (id,
// address, weight) and live ones (inflight, ewma_ms, error_rate, healthy) are read from the
// proxy's BackendView on each access, so a script always sees current numbers;
// b:metric(name) reads a custom metric. The arrays are cached per pool (BackendCache).

#include "lua/api/api.h"
#include "lua/backend_cache.h"
#include "lua/binding.h"

namespace tidegate::lua {
namespace {

constexpr uint32_t kBackendMagic = 0x62636b64;  // "bckd"

struct BackendObject {
  uint32_t magic;
  uint32_t index;
  uint64_t generation;
  BackendCache::Entry* entry;
};

int metatable_key;  // address used as the registry key of the backend metatable

const BackendView& viewOf(lua_State* L, int idx) {
  auto* obj = static_cast<BackendObject*>(lua_touserdata(L, idx));
  if (obj == nullptr || obj->magic != kBackendMagic) {
    luaL_error(L, "not a backend object");
  }
  const BackendSet& set = *obj->entry->set;
  if (set.generation() != obj->generation) {
    luaL_error(L, "stale backend object: the pool's membership changed since it was handed out");
  }
  return set.at(obj->index);
}

int backendIndex(lua_State* L) {
  const BackendView& b = viewOf(L, 1);
  const LuaVm::Keys& k = LuaVm::from(L).keys();
  const char* key = lua_tostring(L, 2);
  if (key == k.inflight) {
    lua_pushinteger(L, b.inflight());
  } else if (key == k.ewma_ms) {
    lua_pushnumber(L, b.ewmaMs());
  } else if (key == k.healthy) {
    lua_pushboolean(L, b.healthy());
  } else if (key == k.error_rate) {
    lua_pushnumber(L, b.errorRate());
  } else if (key == k.weight) {
    lua_pushinteger(L, b.weight());
  } else if (key == k.id) {
    binding::pushView(L, b.id());
  } else if (key == k.address) {
    binding::pushView(L, b.address());
  } else if (key == k.metric) {
    lua_pushvalue(L, lua_upvalueindex(1));
  } else {
    lua_pushnil(L);
  }
  return 1;
}

// b:metric(name) -> number | nil
int backendMetric(lua_State* L) {
  const BackendView& b = viewOf(L, 1);
  const std::string_view name = binding::checkView(L, 2);
  double value = 0;
  if (b.metric(name, value)) {
    lua_pushnumber(L, value);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int backendToString(lua_State* L) {
  const BackendView& b = viewOf(L, 1);
  lua_pushfstring(L, "backend %s", std::string(b.id()).c_str());
  return 1;
}

void pushMetatable(lua_State* L) {
  lua_pushlightuserdata(L, &metatable_key);
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void pushNewObject(lua_State* L, BackendCache::Entry& entry, uint32_t index) {
  auto* obj = static_cast<BackendObject*>(lua_newuserdata(L, sizeof(BackendObject)));
  *obj = BackendObject{kBackendMagic, index, entry.set->generation(), &entry};
  pushMetatable(L);
  lua_setmetatable(L, -2);
}

}  // namespace

BackendCache::Entry& BackendCache::entryFor(lua_State* L,
                                            const std::shared_ptr<const BackendSet>& set) {
  Entry* entry = last_entry_;
  if (set->pool() != last_pool_ || entry == nullptr) {
    entry = binding::guarded(L, [&] {
      auto& slot = entries_[set->pool()];
      if (!slot) slot = std::make_unique<Entry>();
      return slot.get();
    });
    last_pool_ = set->pool();
    last_entry_ = entry;
  }
  if (entry->set == set || (entry->set && entry->set->generation() == set->generation())) {
    return *entry;
  }
  // New membership: build the array (the old objects go stale, see viewOf).
  const size_t n = set->size();
  binding::guarded(L, [&] { entry->objects.reserve(n); });
  entry->set = set;
  entry->objects.clear();
  lua_createtable(L, static_cast<int>(n), 0);
  for (size_t i = 0; i < n; ++i) {
    pushNewObject(L, *entry, static_cast<uint32_t>(i));
    entry->objects.push_back(lua_topointer(L, -1));
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  luaL_unref(L, LUA_REGISTRYINDEX, entry->table_ref);
  entry->table_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ++rebuilds_;
  return *entry;
}

namespace {
// A script may have sorted or edited the array it was given. Never allocates.
bool intact(lua_State* L, int table, const BackendCache::Entry& entry) {
  const size_t n = entry.objects.size();
  if (lua_objlen(L, table) != n) return false;
  for (size_t i = 0; i < n; ++i) {
    lua_rawgeti(L, table, static_cast<int>(i + 1));
    const bool same = lua_topointer(L, -1) == entry.objects[i];
    lua_pop(L, 1);
    if (!same) return false;
  }
  return true;
}
}  // namespace

bool BackendCache::pushArrayIfCurrent(lua_State* L, const BackendSet& set) {
  if (set.pool() != last_pool_ || last_entry_ == nullptr || !last_entry_->set ||
      last_entry_->set->generation() != set.generation()) {
    return false;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, last_entry_->table_ref);
  if (intact(L, lua_gettop(L), *last_entry_)) return true;
  lua_pop(L, 1);
  return false;
}

void BackendCache::pushArray(lua_State* L, const std::shared_ptr<const BackendSet>& set) {
  Entry& entry = entryFor(L, set);
  lua_rawgeti(L, LUA_REGISTRYINDEX, entry.table_ref);
  const int table = lua_gettop(L);
  const size_t n = entry.objects.size();
  if (intact(L, table, entry)) return;
  // Put every object still in the array back in its own slot (a sort only permutes them);
  // make fresh ones for slots whose object is gone; drop anything else.
  const int len = static_cast<int>(lua_objlen(L, table));
  lua_createtable(L, static_cast<int>(n), 0);
  const int sorted = lua_gettop(L);
  for (int i = 1; i <= len; ++i) {
    lua_rawgeti(L, table, i);
    auto* obj = static_cast<BackendObject*>(lua_touserdata(L, -1));
    if (obj != nullptr && obj->magic == kBackendMagic && obj->entry == &entry &&
        obj->generation == entry.set->generation()) {
      lua_rawseti(L, sorted, static_cast<int>(obj->index + 1));
    } else {
      lua_pop(L, 1);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    lua_rawgeti(L, sorted, static_cast<int>(i + 1));
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      pushNewObject(L, entry, static_cast<uint32_t>(i));
    }
    entry.objects[i] = lua_topointer(L, -1);
    lua_rawseti(L, table, static_cast<int>(i + 1));
  }
  for (int i = static_cast<int>(n) + 1; i <= len; ++i) {
    lua_pushnil(L);
    lua_rawseti(L, table, i);
  }
  lua_pop(L, 1);  // sorted
}

void BackendCache::pushObject(lua_State* L, const std::shared_ptr<const BackendSet>& set,
                              int index) {
  pushArray(L, set);
  lua_rawgeti(L, -1, index + 1);
  lua_remove(L, -2);
}

int BackendCache::indexOf(lua_State* L, int idx, const BackendSet& set) const {
  auto* obj = static_cast<BackendObject*>(lua_touserdata(L, idx));
  if (obj == nullptr || obj->magic != kBackendMagic) return -1;
  if (obj->entry->set->pool() != set.pool()) return -1;
  if (obj->generation != set.generation() || obj->index >= set.size()) return -1;
  return static_cast<int>(obj->index);
}

namespace api {

void openBackends(lua_State* L) {
  lua_pushlightuserdata(L, &metatable_key);
  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, backendMetric);
  lua_pushcclosure(L, backendIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, backendToString);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "tidegate.backend");
  lua_setfield(L, -2, "__metatable");
  lua_rawset(L, LUA_REGISTRYINDEX);
}

}  // namespace api
}  // namespace tidegate::lua
