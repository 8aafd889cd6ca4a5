#pragma once
// target_tracking: the Kubernetes HorizontalPodAutoscaler (autoscaling/v2) as a policy. Each
// metric proposes ceil(current * value / target) (10% tolerance); the largest proposal wins;
// a stabilization window and the `behavior` rate policies shape it. Missing and not-ready
// instances are handled as the HPA replica calculator does. Control thread only.

#include <memory>
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "scale/policy.h"

namespace tidegate::scale {

Result<std::unique_ptr<Policy>> makeTargetTrackingPolicy(const nlohmann::json& params);

}  // namespace tidegate::scale
