#include "scale/policy_params.h"

#include <algorithm>
#include <cmath>

#include "config/units.h"

namespace tidegate::scale {

PolicyParams::PolicyParams(const nlohmann::json& json, std::string where)
    : PolicyParams(json, std::move(where), nullptr) {}

PolicyParams::PolicyParams(const nlohmann::json& json, std::string where,
                           std::vector<std::string>* problems)
    : json_(json), where_(std::move(where)), problems_(problems) {
  if (problems_ == nullptr) problems_ = &own_problems_;
  if (json_.is_null()) json_ = nlohmann::json::object();
  if (!json_.is_object()) {
    report(where_ + ": expected an object of parameters, got " + json_.dump());
    json_ = nlohmann::json::object();
  }
}

void PolicyParams::report(std::string message) {
  problems_->push_back(std::move(message));
}

void PolicyParams::problem(std::string message) {
  report(where_ + ": " + message);
}

void PolicyParams::problem(std::string_view key, std::string message) {
  report(field(key) + ": " + message);
}

std::string PolicyParams::field(std::string_view key) const {
  return where_ + "." + std::string(key);
}

const nlohmann::json* PolicyParams::find(std::string_view key) const {
  auto it = json_.find(std::string(key));
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool PolicyParams::has(std::string_view key) const {
  return find(key) != nullptr;
}

std::optional<double> PolicyParams::optionalNumber(std::string_view key, double min, double max) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) {
    report(field(key) + ": expected a number, got " + v->dump());
    return std::nullopt;
  }
  double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    char range[96];
    std::snprintf(range, sizeof range, "from %g to %g", min, max);
    report(field(key) + ": expected a number " + range + ", got " + v->dump());
    return std::nullopt;
  }
  return d;
}

double PolicyParams::number(std::string_view key, double fallback, double min, double max) {
  return optionalNumber(key, min, max).value_or(fallback);
}

int64_t PolicyParams::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    report(field(key) + ": expected a whole number from " + std::to_string(min) + " to " +
           std::to_string(max) + ", got " + v->dump());
    return fallback;
  }
  return v->get<int64_t>();
}

std::string PolicyParams::string(std::string_view key, std::string fallback,
                                 std::span<const std::string_view> allowed) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) {
    report(field(key) + ": expected a string, got " + v->dump());
    return fallback;
  }
  std::string s = v->get<std::string>();
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    std::string list;
    for (std::string_view a : allowed)
      list += (list.empty() ? "" : ", ") + std::string(a);
    report(field(key) + ": expected one of " + list + ", got '" + s + "'");
    return fallback;
  }
  return s;
}

std::string PolicyParams::required(std::string_view key) {
  if (!has(key)) {
    report(field(key) + ": required");
    return "";
  }
  std::string s = string(key, "");
  if (s.empty() && find(key)->is_string()) report(field(key) + ": must not be empty");
  return s;
}

double PolicyParams::seconds(std::string_view key, double fallback) {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (v->is_number()) {
    double d = v->get<double>();
    if (std::isfinite(d) && d >= 0) return d;
  } else if (v->is_string()) {
    Result<int64_t> ms = config::parseDuration(v->get<std::string>());
    if (ms.ok()) return double(ms.value()) / 1000.0;
    report(field(key) + ": " + ms.error().message());
    return fallback;
  }
  report(field(key) + ": expected seconds (a number >= 0) or a duration such as \"30s\", got " +
         v->dump());
  return fallback;
}

metrics::Agg PolicyParams::agg(std::string_view key, std::string_view fallback) {
  std::string text = string(key, std::string(fallback));
  if (auto a = metrics::Agg::parse(text)) return *a;
  report(field(key) + ": unknown aggregation '" + text +
         "' (rate, sum, count, avg, min, max, last, p50, p90, p99, ...)");
  return *metrics::Agg::parse(fallback);
}

PolicyParams PolicyParams::object(std::string_view key) {
  const nlohmann::json* v = find(key);
  return PolicyParams(v ? *v : nlohmann::json::object(), field(key), problems_);
}

std::vector<PolicyParams> PolicyParams::objects(std::string_view key) {
  std::vector<PolicyParams> out;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    report(field(key) + ": expected a list, got " + v->dump());
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    out.push_back(PolicyParams((*v)[i], field(key) + "[" + std::to_string(i) + "]", problems_));
  }
  return out;
}

void PolicyParams::allowOnly(std::span<const std::string_view> known) {
  for (auto it = json_.begin(); it != json_.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::string list;
    for (std::string_view k : known)
      list += (list.empty() ? "" : ", ") + std::string(k);
    report(where_ + ": unknown parameter '" + it.key() + "' (allowed: " + list + ")");
  }
}

Result<Ok> PolicyParams::finish() const {
  if (problems_->empty()) return Ok{};
  std::string joined;
  for (const std::string& p : *problems_)
    joined += (joined.empty() ? "" : "; ") + p;
  return Error(ErrorSource::kConfig, joined);
}

}  // namespace tidegate::scale
