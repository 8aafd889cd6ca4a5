#pragma once
// One policy decision from a JSON description of the moment: what `tidegate policy eval` runs
// so that users can unit-test a policy (built-in or Lua) before trusting it with a pool. The
// input schema and examples are in docs/autoscaling.md ("policy eval"). Control thread / CLI.

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace tidegate::scale {

// `policy`: a built-in name or the path of a .lua policy. `params` (optional) replaces the
// input's "params". Returns {"policy", "current", "desired", "recommendation", "reason",
// "inputs", "state"}; `desired` is clamped to [min, max] as the engine would. Errors: malformed
// input (the message names the field), bad parameters, or the policy's own error.
Result<nlohmann::json> evaluatePolicyJson(std::string_view policy, const nlohmann::json& input,
                                          const std::optional<nlohmann::json>& params);

}  // namespace tidegate::scale
