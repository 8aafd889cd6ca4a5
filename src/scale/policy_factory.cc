#include "scale/policy_factory.h"

#include "scale/policies/concurrency.h"
#include "scale/policies/step.h"
#include "scale/policies/target_tracking.h"
#include "scale/policies/threshold.h"

namespace tidegate::scale {
namespace {

using MakeFn = Result<std::unique_ptr<Policy>> (*)(const nlohmann::json&);

struct Builtin {
  std::string_view name;
  MakeFn make;
};

constexpr Builtin kBuiltins[] = {
    {"target_tracking", makeTargetTrackingPolicy},
    {"step", makeStepPolicy},
    {"threshold", makeThresholdPolicy},
    {"concurrency", makeConcurrencyPolicy},
};

Result<nlohmann::json> parseParams(const std::string& text) {
  nlohmann::json params = nlohmann::json::parse(text, nullptr, false);
  if (params.is_discarded() || !params.is_object()) {
    return Error(ErrorSource::kConfig, "policy parameters must be a JSON object");
  }
  return params;
}

}  // namespace

bool isBuiltinPolicy(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return true;
  }
  return false;
}

Result<std::unique_ptr<Policy>> makeBuiltinPolicy(std::string_view name,
                                                  const nlohmann::json& params) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return b.make(params);
  }
  return Error(ErrorSource::kConfig, "unknown built-in policy '" + std::string(name) +
                                         "' (target_tracking, step, threshold, concurrency)");
}

Result<std::unique_ptr<Policy>> makePolicy(const config::PolicyConfig& config,
                                           LuaPolicyOptions lua_options) {
  Result<nlohmann::json> params = parseParams(config.params_json);
  if (!params) return params.error();
  std::shared_ptr<const lua::ScriptSource> source;
  switch (config.kind) {
    case config::PolicyConfig::Kind::kBuiltin:
      return makeBuiltinPolicy(config.name, params.value());
    case config::PolicyConfig::Kind::kFile: {
      auto file = lua::ScriptSource::fromFile(config.file);
      if (!file) return file.error();
      source = std::move(file.value());
      break;
    }
    case config::PolicyConfig::Kind::kInline:
      source = lua::ScriptSource::fromString("inline policy", config.code);
      break;
  }
  auto lua = LuaPolicy::create(std::move(source), params.value(), lua_options);
  if (!lua) return lua.error();
  return std::unique_ptr<Policy>(std::move(lua.value()));
}

Result<Ok> validatePolicy(const config::PolicyConfig& config) {
  auto policy = makePolicy(config);
  if (!policy) return policy.error();
  return Ok{};
}

}  // namespace tidegate::scale
