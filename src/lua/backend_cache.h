#pragma once
// BackendCache: the Lua arrays of backend objects one VM has built, one per pool, rebuilt only
// when the pool's BackendSet generation changes. A backend object holds no numbers: each field
// access reads the live view. Objects of an older generation raise "stale backend" instead of
// reading freed memory. Owned by a LuaVm; its thread only, inside a protected call.

#include <lua.hpp>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "lua/request_context.h"

namespace tidegate::lua {

class BackendCache {
 public:
  struct Entry {
    std::shared_ptr<const BackendSet> set;
    int table_ref = LUA_NOREF;
    std::vector<const void*> objects;  // the userdata in array order, to detect tampering
  };

  // Pushes the array for `set`, building it on a new generation and repairing it if a script
  // reordered or changed it. Allocates: protected calls only.
  void pushArray(lua_State* L, const std::shared_ptr<const BackendSet>& set);
  // The fast path: pushes the array and returns true when it is current and intact (the last
  // pool used, same generation); otherwise pushes nothing. Never allocates.
  bool pushArrayIfCurrent(lua_State* L, const BackendSet& set);
  // Pushes the object of backend `index` of `set`.
  void pushObject(lua_State* L, const std::shared_ptr<const BackendSet>& set, int index);
  // The index in `set` of the backend object at stack index `idx`; -1 when it is not one of
  // the current objects of `set`.
  int indexOf(lua_State* L, int idx, const BackendSet& set) const;

  size_t rebuilds() const { return rebuilds_; }

 private:
  Entry& entryFor(lua_State* L, const std::shared_ptr<const BackendSet>& set);

  std::unordered_map<const void*, std::unique_ptr<Entry>> entries_;
  const void* last_pool_ = nullptr;
  Entry* last_entry_ = nullptr;
  size_t rebuilds_ = 0;
};

}  // namespace tidegate::lua
