#pragma once
// threshold: the classic rule "add N instances when the metric has stayed above a bound for a
// duration, remove N when it has stayed below another" (CPU, memory, network). The policy's
// state remembers since when the metric has been above or below. Control thread only.

#include <memory>
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "scale/policy.h"

namespace tidegate::scale {

Result<std::unique_ptr<Policy>> makeThresholdPolicy(const nlohmann::json& params);

}  // namespace tidegate::scale
