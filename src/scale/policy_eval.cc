#include "scale/policy_eval.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "scale/lua_policy.h"
#include "scale/policy_factory.h"

namespace tidegate::scale {
namespace {

using nlohmann::json;

constexpr std::string_view kInputKeys[] = {
    "replicas", "ready",     "min",       "max",          "now",    "since_last_scale",
    "metrics",  "instances", "decisions", "scale_events", "params", "state"};

Error bad(std::string message) {
  return Error(ErrorSource::kConfig, "input: " + std::move(message));
}

// Pool-level values: exact (name, agg, window) first, then entries that leave agg or window out.
// Per-instance values: each instance's "metrics" object, a missing key meaning no sample.
class JsonMetricSource final : public MetricSource {
 public:
  struct Value {
    std::string name;
    std::optional<std::string> agg;
    std::optional<int64_t> window;
    double value;
  };
  struct Instance {
    std::string id;
    bool ready;
    std::map<std::string, double> metrics;
  };

  std::optional<double> metric(std::string_view name, metrics::Agg agg,
                               std::chrono::seconds window) const override {
    const std::string agg_name = aggName(agg);
    const Value* best = nullptr;
    int best_score = -1;
    for (const Value& v : values) {
      if (v.name != name) continue;
      if (v.agg && *v.agg != agg_name) continue;
      if (v.window && *v.window != window.count()) continue;
      const int score = (v.agg ? 2 : 0) + (v.window ? 1 : 0);
      if (score > best_score) {
        best = &v;
        best_score = score;
      }
    }
    if (best == nullptr) return std::nullopt;
    return best->value;
  }

  std::vector<InstanceMetric> perInstance(std::string_view name, metrics::Agg,
                                          std::chrono::seconds) const override {
    std::vector<InstanceMetric> out;
    for (const Instance& i : instances) {
      auto it = i.metrics.find(std::string(name));
      out.push_back(InstanceMetric{
          i.id, i.ready, it == i.metrics.end() ? std::nullopt : std::optional<double>(it->second)});
    }
    return out;
  }

  std::vector<Value> values;
  std::vector<Instance> instances;
};

Result<int32_t> count(const json& in, const char* key, std::optional<int32_t> fallback) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) {
    if (fallback) return *fallback;
    return bad(std::string("'") + key + "' is required");
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 100000) {
    return bad(std::string("'") + key + "' must be a whole number from 0 to 100000, got " +
               it->dump());
  }
  return int32_t(it->get<int64_t>());
}

Result<double> number(const json& in, const std::string& where, const char* key,
                      std::optional<double> fallback) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) {
    if (fallback) return *fallback;
    return bad(where + "'" + key + "' is required");
  }
  if (!it->is_number()) return bad(where + "'" + key + "' must be a number, got " + it->dump());
  return it->get<double>();
}

Result<json> array(const json& in, const char* key) {
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return json::array();
  if (!it->is_array()) return bad(std::string("'") + key + "' must be a list, got " + it->dump());
  return *it;
}

Result<Ok> readMetrics(const json& in, JsonMetricSource& source) {
  Result<json> list = array(in, "metrics");
  if (!list) return list.error();
  for (size_t i = 0; i < list.value().size(); ++i) {
    const json& m = list.value()[i];
    const std::string where = "metrics[" + std::to_string(i) + "]: ";
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string()) {
      return bad(where + "expected {\"name\", \"value\", optional \"agg\" and \"window\"}");
    }
    JsonMetricSource::Value v;
    v.name = m["name"].get<std::string>();
    Result<double> value = number(m, where, "value", std::nullopt);
    if (!value) return value.error();
    v.value = value.value();
    if (m.contains("agg")) {
      if (!m["agg"].is_string() || !metrics::Agg::parse(m["agg"].get<std::string>())) {
        return bad(where +
                   "'agg' must be one of rate, sum, count, avg, min, max, last, p50, p99, "
                   "..., got " +
                   m["agg"].dump());
      }
      v.agg = aggName(*metrics::Agg::parse(m["agg"].get<std::string>()));
    }
    if (m.contains("window")) {
      if (!m["window"].is_number_integer() || m["window"].get<int64_t>() < 1) {
        return bad(where + "'window' must be whole seconds >= 1, got " + m["window"].dump());
      }
      v.window = m["window"].get<int64_t>();
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it.key() != "name" && it.key() != "value" && it.key() != "agg" && it.key() != "window") {
        return bad(where + "unknown key '" + it.key() + "'");
      }
    }
    source.values.push_back(std::move(v));
  }
  Result<json> instances = array(in, "instances");
  if (!instances) return instances.error();
  for (size_t i = 0; i < instances.value().size(); ++i) {
    const json& inst = instances.value()[i];
    const std::string where = "instances[" + std::to_string(i) + "]: ";
    if (!inst.is_object()) return bad(where + "expected {\"id\", \"ready\", \"metrics\"}");
    JsonMetricSource::Instance out;
    out.id = inst.value("id", "instance-" + std::to_string(i));
    auto ready = inst.find("ready");
    if (ready != inst.end() && !ready->is_boolean())
      return bad(where + "'ready' must be true or false");
    out.ready = ready == inst.end() ? true : ready->get<bool>();
    auto values = inst.find("metrics");
    if (values != inst.end()) {
      if (!values->is_object()) return bad(where + "'metrics' must be an object of name: value");
      for (auto it = values->begin(); it != values->end(); ++it) {
        if (it->is_null()) continue;  // no sample: a missing instance for that metric
        if (!it->is_number())
          return bad(where + "metrics." + it.key() + " must be a number or null");
        out.metrics[it.key()] = it->get<double>();
      }
    }
    source.instances.push_back(std::move(out));
  }
  return Ok{};
}

Result<Ok> readHistory(const json& in, PolicyContext& ctx) {
  Result<json> decisions = array(in, "decisions");
  if (!decisions) return decisions.error();
  for (size_t i = 0; i < decisions.value().size(); ++i) {
    const json& d = decisions.value()[i];
    const std::string where = "decisions[" + std::to_string(i) + "]: ";
    if (!d.is_object()) return bad(where + "expected an object");
    PastDecision past;
    Result<double> age = number(d, where, "age", std::nullopt);
    if (!age) return age.error();
    past.age_s = age.value();
    Result<double> desired = number(d, where, "desired", std::nullopt);
    if (!desired) return desired.error();
    past.desired = int32_t(desired.value());
    Result<double> current = number(d, where, "current", double(past.desired));
    if (!current) return current.error();
    past.current = int32_t(current.value());
    Result<double> rec = number(d, where, "recommendation", double(past.desired));
    if (!rec) return rec.error();
    past.recommendation = int32_t(rec.value());
    past.reason = d.value("reason", "");
    ctx.decisions.push_back(std::move(past));
  }
  Result<json> events = array(in, "scale_events");
  if (!events) return events.error();
  for (size_t i = 0; i < events.value().size(); ++i) {
    const json& e = events.value()[i];
    const std::string where = "scale_events[" + std::to_string(i) + "]: ";
    if (!e.is_object()) return bad(where + "expected {\"age\", \"from\", \"to\"}");
    PastScale past;
    for (const char* key : {"age", "from", "to"}) {
      Result<double> v = number(e, where, key, std::nullopt);
      if (!v) return v.error();
      if (key[0] == 'a') past.age_s = v.value();
      if (key[0] == 'f') past.from = int32_t(v.value());
      if (key[0] == 't') past.to = int32_t(v.value());
    }
    ctx.scale_events.push_back(past);
  }
  // The engine hands them over newest first.
  auto by_age = [](const auto& a, const auto& b) { return a.age_s < b.age_s; };
  std::stable_sort(ctx.decisions.begin(), ctx.decisions.end(), by_age);
  std::stable_sort(ctx.scale_events.begin(), ctx.scale_events.end(), by_age);
  return Ok{};
}

Result<std::unique_ptr<Policy>> makeNamedPolicy(std::string_view policy, const json& params) {
  if (isBuiltinPolicy(policy)) return makeBuiltinPolicy(policy, params);
  const std::string path(policy);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error(ErrorSource::kConfig,
                 "'" + path +
                     "' is neither a built-in policy (target_tracking, step, threshold, "
                     "concurrency) nor a Lua file");
  }
  auto source = lua::ScriptSource::fromFile(path);
  if (!source) return source.error();
  auto lua = LuaPolicy::create(source.value(), params);
  if (!lua) return lua.error();
  return std::unique_ptr<Policy>(std::move(lua.value()));
}

}  // namespace

Result<json> evaluatePolicyJson(std::string_view policy, const json& input,
                                const std::optional<json>& params) {
  if (!input.is_object()) return bad("expected a JSON object");
  for (auto it = input.begin(); it != input.end(); ++it) {
    if (std::find(std::begin(kInputKeys), std::end(kInputKeys), it.key()) == std::end(kInputKeys)) {
      std::string allowed;
      for (std::string_view k : kInputKeys)
        allowed += (allowed.empty() ? "" : ", ") + std::string(k);
      return bad("unknown key '" + it.key() + "' (allowed: " + allowed + ")");
    }
  }
  PolicyContext ctx;
  Result<int32_t> replicas = count(input, "replicas", std::nullopt);
  if (!replicas) return replicas.error();
  ctx.replicas = replicas.value();
  for (auto [key, field, fallback] :
       {std::tuple{"ready", &ctx.ready, ctx.replicas}, std::tuple{"min", &ctx.min, 1},
        std::tuple{"max", &ctx.max, std::max(ctx.replicas, 1)}}) {
    Result<int32_t> v = count(input, key, fallback);
    if (!v) return v.error();
    *field = v.value();
  }
  if (ctx.max < ctx.min) return bad("'max' must be at least 'min'");
  Result<double> now = number(input, "", "now", 0.0);
  if (!now) return now.error();
  ctx.now = now.value();
  Result<double> since = number(input, "", "since_last_scale", 1e9);
  if (!since) return since.error();
  ctx.since_last_scale = since.value();
  JsonMetricSource source;
  if (auto r = readMetrics(input, source); !r) return r.error();
  if (auto r = readHistory(input, ctx); !r) return r.error();
  ctx.metrics = &source;

  json policy_params = params ? *params : input.value("params", json::object());
  if (!policy_params.is_object()) return bad("'params' must be an object");
  auto made = makeNamedPolicy(policy, policy_params);
  if (!made) return made.error();
  Policy& p = *made.value();
  if (auto state = input.find("state"); state != input.end() && !state->is_null()) {
    if (auto r = p.restoreState(*state); !r) return r.error();
  }
  Result<Decision> decision = p.evaluate(ctx);
  if (!decision) return decision.error();
  const Decision& d = decision.value();
  const int32_t desired = std::clamp(d.desired, ctx.min, ctx.max);
  std::string reason = d.reason;
  if (desired != d.desired) {
    reason += " (clamped to " + std::string(desired == ctx.max ? "max " : "min ") +
              std::to_string(desired) + ")";
  }
  json inputs = json::object();
  for (const auto& [name, value] : d.inputs)
    inputs[name] = value;
  return json{{"policy", p.name()},    {"current", ctx.replicas},
              {"desired", desired},    {"recommendation", d.recommendation},
              {"reason", reason},      {"inputs", inputs},
              {"state", p.saveState()}};
}

}  // namespace tidegate::scale
