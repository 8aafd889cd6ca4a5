#pragma once
// step: AWS EC2 Auto Scaling step scaling as a policy. An alarm (metric > or < threshold) picks
// the step whose bounds, relative to the threshold, hold the breach; the step's adjustment is
// a change in capacity, a percent change or an exact capacity. Control thread only.

#include <memory>
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "scale/policy.h"

namespace tidegate::scale {

Result<std::unique_ptr<Policy>> makeStepPolicy(const nlohmann::json& params);

}  // namespace tidegate::scale
