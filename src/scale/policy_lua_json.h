#pragma once
// JSON <-> Lua tables for policies: `ctx.params` and `ctx.state` come from JSON (config, or
// `tidegate policy eval` input) and the state goes back out as JSON. Lua VM thread only.

#include <lua.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace tidegate::scale {

// Pushes `value`: objects and arrays become tables (arrays 1-based), null becomes nil.
// Protected mode only (it allocates).
void pushJson(lua_State* L, const nlohmann::json& value);

// The value at `index` as JSON: a table whose keys are exactly 1..n is an array, any other table
// an object (number keys become strings); nil is null. Functions, userdata, threads and tables
// nested deeper than 32 levels (or cycles) are an error. Never raises a Lua error.
Result<nlohmann::json> toJson(lua_State* L, int index);

}  // namespace tidegate::scale
