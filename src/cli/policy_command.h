#pragma once
// `tidegate policy eval POLICY --input ctx.json [--params params.json]`: one decision of a
// built-in or Lua policy from a JSON context, printed as JSON (docs/autoscaling.md).

#include <string>
#include <vector>

namespace tidegate::cli {

// `args` are the words after "policy". Exit code: 0 decided, 1 the policy or its input failed,
// 2 bad usage.
int policyCommand(const std::vector<std::string>& args);

}  // namespace tidegate::cli
