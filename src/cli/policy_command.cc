#include "cli/policy_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "scale/policy_eval.h"

namespace tidegate::cli {
namespace {

constexpr const char* kUsage =
    "usage: tidegate policy eval POLICY --input CTX.json [--params PARAMS.json]\n"
    "  POLICY: target_tracking | step | threshold | concurrency | path/to/policy.lua\n"
    "  CTX.json ('-' reads stdin): replicas, ready, min, max, metrics, instances, decisions,\n"
    "  scale_events, params, state (see docs/autoscaling.md)\n";

// The file's JSON, or nullopt after printing why not.
std::optional<nlohmann::json> readJson(const std::string& path, const char* what) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "tidegate policy eval: cannot read %s '%s'\n", what, path.c_str());
      return std::nullopt;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    std::fprintf(stderr, "tidegate policy eval: %s '%s' is not valid JSON: %s\n", what,
                 path.c_str(), e.what());
    return std::nullopt;
  }
}

}  // namespace

int policyCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "eval") {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::optional<std::string> policy;
  std::optional<std::string> input_path;
  std::optional<std::string> params_path;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--input" && i + 1 < args.size()) {
      input_path = args[++i];
    } else if (a == "--params" && i + 1 < args.size()) {
      params_path = args[++i];
    } else if (!a.starts_with("--") && !policy) {
      policy = a;
    } else {
      std::fprintf(stderr, "tidegate policy eval: unexpected argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (!policy || !input_path) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::optional<nlohmann::json> input = readJson(*input_path, "input");
  if (!input) return 1;
  std::optional<nlohmann::json> params;
  if (params_path) {
    params = readJson(*params_path, "params");
    if (!params) return 1;
  }
  Result<nlohmann::json> out = scale::evaluatePolicyJson(*policy, *input, params);
  if (!out) {
    std::fprintf(stderr, "tidegate policy eval: %s\n", out.error().message().c_str());
    return 1;
  }
  std::printf("%s\n", out.value().dump(2).c_str());
  return 0;
}

}  // namespace tidegate::cli
