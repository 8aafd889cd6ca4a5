#pragma once
// Makes the Policy a `scale.policy` config block names: a built-in with its parameters, or a Lua
// policy from a file or inline code. validatePolicy is what `tidegate check` and a reload run
// before anything else: it builds the policy once and throws it away. Control thread only.

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "config/scale_schema.h"
#include "core/result.h"
#include "scale/lua_policy.h"
#include "scale/policy.h"

namespace tidegate::scale {

// "target_tracking", "step", "threshold", "concurrency"; an error for any other name or for
// parameters the policy does not accept (the message names the field).
Result<std::unique_ptr<Policy>> makeBuiltinPolicy(std::string_view name,
                                                  const nlohmann::json& params);
bool isBuiltinPolicy(std::string_view name);

// Reads a policy file (kFile) relative to the working directory, as route scripts are.
Result<std::unique_ptr<Policy>> makePolicy(const config::PolicyConfig& config,
                                           LuaPolicyOptions lua_options = {});

// Ok, or why the policy cannot run ("target_tracking.metrics[0].target: required"). The caller
// adds the config position (config.mark).
Result<Ok> validatePolicy(const config::PolicyConfig& config);

}  // namespace tidegate::scale
