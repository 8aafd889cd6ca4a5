#pragma once
// PolicyParams: reads a built-in policy's parameters from JSON (the YAML block converted by the
// config loader, or `--params` of `tidegate policy eval`) with messages that name the offending
// field ("metrics[1].target: must be > 0"). Collects every problem, then fails once.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "metrics/window.h"

namespace tidegate::scale {

class PolicyParams {
 public:
  // `where` prefixes messages ("target_tracking"); `json` must be an object (else one problem).
  PolicyParams(const nlohmann::json& json, std::string where);

  // Each reader returns the default (and records a problem) when the field is malformed.
  double number(std::string_view key, double fallback, double min, double max);
  std::optional<double> optionalNumber(std::string_view key, double min, double max);
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  std::string string(std::string_view key, std::string fallback,
                     std::span<const std::string_view> allowed = {});
  // A number of seconds or a duration string ("300s", "5m", "1.5s").
  double seconds(std::string_view key, double fallback);
  metrics::Agg agg(std::string_view key, std::string_view fallback);
  // A required non-empty string.
  std::string required(std::string_view key);
  bool has(std::string_view key) const;
  // Nested objects and arrays of objects, reported under this one's path.
  PolicyParams object(std::string_view key);
  std::vector<PolicyParams> objects(std::string_view key);

  // Reports every key not in `known` (typos must not silently fall back to defaults).
  void allowOnly(std::span<const std::string_view> known);
  // "<where>: message" and "<where>.<key>: message".
  void problem(std::string message);
  void problem(std::string_view key, std::string message);

  // Ok when no problem was found here or in any nested reader; else every problem, "; "-joined.
  Result<Ok> finish() const;

 private:
  PolicyParams(const nlohmann::json& json, std::string where, std::vector<std::string>* problems);
  void report(std::string message);
  const nlohmann::json* find(std::string_view key) const;
  std::string field(std::string_view key) const;

  nlohmann::json json_;
  std::string where_;
  std::vector<std::string> own_problems_;
  std::vector<std::string>* problems_;
};

}  // namespace tidegate::scale
