#pragma once
// Route scripts from the config: reads each route's script (file or inline), checks the whole
// generation in a scratch VM, and reuses the current generation when nothing changed (so
// workers keep their loaded scripts and module state). Control thread, and `tidegate check`.

#include <map>
#include <memory>
#include <string>

#include "config/schema.h"
#include "core/result.h"
#include "lua/control_vm.h"
#include "lua/metric_catalog.h"
#include "lua/script.h"
#include "lua/shared_dict.h"
#include "lua/vm.h"

namespace tidegate::server {

// The VM settings of `config.lua`; `dicts` may be null (tg.shared is then empty), `declarer`
// too (tg.metrics declarations are then only checked, as by `tidegate check`).
lua::VmOptions vmOptionsFor(const config::LuaConfig& config, lua::SharedDicts* dicts,
                            lua::MetricsDeclarer* declarer = nullptr);

// Null when no route has a script. Errors: one line per problem, "file:line: message".
Result<std::shared_ptr<const lua::ScriptSet>> buildScripts(
    const config::Config& config, const lua::VmOptions& options, uint64_t generation,
    const std::shared_ptr<const lua::ScriptSet>& current);

// A control VM with `config.control_script` run in it (its timers registered), modules from
// `config.module_path`. `options.control` is forced on.
Result<std::unique_ptr<lua::ControlVm>> loadControlVm(const config::LuaConfig& config,
                                                      lua::VmOptions options);

// The script files the config names, for `lua.watch`.
std::vector<std::string> scriptFiles(const config::Config& config);

// Creates the dicts of `config.lua.shared_dicts` in `dicts`.
void addSharedDicts(const config::LuaConfig& config, lua::SharedDicts& dicts);

}  // namespace tidegate::server
