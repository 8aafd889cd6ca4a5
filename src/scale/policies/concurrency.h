#pragma once
// concurrency: the Knative Pod Autoscaler (KPA). Desired instances = observed concurrency over
// (target per instance x target utilization), averaged over a 60 s stable window; a 6 s panic
// window takes over when it asks for at least twice the ready instances, and while panicking
// the pool never shrinks. Control thread only.

#include <memory>
#include <nlohmann/json.hpp>

#include "core/result.h"
#include "scale/policy.h"

namespace tidegate::scale {

Result<std::unique_ptr<Policy>> makeConcurrencyPolicy(const nlohmann::json& params);

}  // namespace tidegate::scale
