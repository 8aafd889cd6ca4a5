// tg.metrics: custom counters, gauges and histograms declared at a script's top level and
// exported with the gateway's own (metric_catalog.h explains the two passes), and, in the
// control VM, window queries over any series (metrics/window.h).
//   tg.metrics.counter(name, help, labels?) -> c                  c:inc(n?)
//   tg.metrics.gauge(name, help, labels?, {merge = "sum" | "latest"}?) -> g   g:set(v) g:add(v)
//   tg.metrics.histogram(name, help, labels?, buckets?) -> h      h:observe(v)
//   tg.metrics.window(name, labels?, agg?, seconds?) -> number | nil [, err]  (control VM only)
// Recording writes the VM's own shard through the handle resolved at declaration: no lookup,
// no allocation. Arguments are read from Lua before any C++ object exists, and the C++ part
// runs guarded, so no Lua error unwinds through a live C++ object.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "lua/api/api.h"
#include "lua/binding.h"
#include "lua/metric_catalog.h"
#include "metrics/series_registry.h"
#include "metrics/shard.h"
#include "metrics/window.h"

namespace tidegate::lua::api {
namespace {

using metrics::MetricType;
using Label = MetricCatalog::Label;

constexpr uint32_t kCounterMagic = 0x6d637472;    // "mctr"
constexpr uint32_t kGaugeMagic = 0x6d676175;      // "mgau"
constexpr uint32_t kHistogramMagic = 0x6d686973;  // "mhis"
constexpr int kMaxLabels = 16;
constexpr int kMaxBuckets = 64;
constexpr const char* kMetatables[] = {"tidegate.metrics.counter", "tidegate.metrics.gauge",
                                       "tidegate.metrics.histogram"};
constexpr const char* kDeclareNames[] = {"tg.metrics.counter", "tg.metrics.gauge",
                                         "tg.metrics.histogram"};

struct MetricHandle {
  uint32_t magic;
  uint32_t index;
  metrics::MetricShard* shard;  // null: recording does nothing
  double inverse_scale;         // histograms: recorded value = value * inverse_scale
};

MetricHandle& checkHandle(lua_State* L, uint32_t magic, const char* what) {
  auto* h = static_cast<MetricHandle*>(lua_touserdata(L, 1));
  if (h == nullptr || h->magic != magic) {
    luaL_error(L, "expected a %s as self (call it as metric:method(...))", what);
  }
  return *h;
}

int counterInc(lua_State* L) {
  const MetricHandle& h = checkHandle(L, kCounterMagic, "counter");
  uint64_t n = 1;
  if (!lua_isnoneornil(L, 2)) {
    const lua_Number v = luaL_checknumber(L, 2);
    if (!(v >= 0 && v < 1.8e19) || v != std::floor(v)) {
      return luaL_error(L, "counter:inc: the increment must be a whole number >= 0 (got %f)", v);
    }
    n = static_cast<uint64_t>(v);
  }
  if (h.shard != nullptr) h.shard->add(metrics::CounterId{h.index}, n);
  return 0;
}

lua_Number checkGaugeValue(lua_State* L, const char* what) {
  const lua_Number v = luaL_checknumber(L, 2);
  if (std::isnan(v)) luaL_error(L, "gauge:%s: the value is NaN", what);
  return v;
}

int gaugeSet(lua_State* L) {
  const MetricHandle& h = checkHandle(L, kGaugeMagic, "gauge");
  const lua_Number v = checkGaugeValue(L, "set");
  if (h.shard != nullptr) h.shard->set(metrics::GaugeId{h.index}, v);
  return 0;
}

int gaugeAdd(lua_State* L) {
  const MetricHandle& h = checkHandle(L, kGaugeMagic, "gauge");
  const lua_Number v = checkGaugeValue(L, "add");
  if (h.shard != nullptr) h.shard->add(metrics::GaugeId{h.index}, v);
  return 0;
}

int histogramObserve(lua_State* L) {
  const MetricHandle& h = checkHandle(L, kHistogramMagic, "histogram");
  const lua_Number v = luaL_checknumber(L, 2);
  if (!(v >= 0) || std::isinf(v)) {
    return luaL_error(L, "histogram:observe: the value must be a finite number >= 0 (got %f)", v);
  }
  const double recorded = v * h.inverse_scale + 0.5;
  const uint64_t value = recorded >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(recorded);
  if (h.shard != nullptr) h.shard->record(metrics::HistogramId{h.index}, value);
  return 0;
}

// Reads a labels table at `idx` (nil: none) into `out`, sorted by name. Views stay valid while
// the table is on the stack. Raises on anything but string names and string values.
int readLabels(lua_State* L, int idx, Label* out, const char* fn) {
  if (lua_isnoneornil(L, idx)) return 0;
  if (!lua_istable(L, idx)) {
    luaL_error(L, "%s: labels must be a table of strings, {name = \"value\"} (got a %s)", fn,
               luaL_typename(L, idx));
  }
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "%s: label names must be strings", fn);
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "%s: the value of label '%s' must be a string (got a %s)", fn,
                 lua_tostring(L, -2), luaL_typename(L, -1));
    }
    if (n == kMaxLabels) luaL_error(L, "%s: more than %d labels", fn, kMaxLabels);
    size_t name_len = 0;
    size_t value_len = 0;
    const char* name = lua_tolstring(L, -2, &name_len);
    const char* value = lua_tolstring(L, -1, &value_len);
    out[n++] = Label{{name, name_len}, {value, value_len}};
    lua_pop(L, 1);
  }
  std::sort(out, out + n);
  return n;
}

// What a declaration asks for, as plain views into the Lua arguments.
struct DeclareArgs {
  MetricType type;
  std::string_view name;
  std::string_view help;
  Label labels[kMaxLabels];
  int label_count = 0;
  double buckets[kMaxBuckets];
  int bucket_count = 0;  // 0: the default (latency buckets, seconds)
  metrics::GaugeMerge merge = metrics::GaugeMerge::kSum;
};

struct Declared {
  bool ok = false;
  MetricSeries series;
  char error[320];
};

// Histogram values are kept as integers in units of `scale`: a thousandth of the decade of the
// smallest positive bucket bound, at most 1 (0.0005 -> 1e-7, 64 -> 0.01, 1000 -> 1).
double histogramScale(std::span<const double> buckets) {
  for (double b : buckets) {
    if (b > 0) {
      const int exponent = std::clamp(static_cast<int>(std::floor(std::log10(b))) - 3, -12, 0);
      return 1.0 / std::pow(10.0, -exponent);
    }
  }
  return 1.0;
}

// C++ only (guarded): resolves a declaration through the VM's scope, or declares it.
Declared resolve(LuaVm& vm, const DeclareArgs& a) {
  Declared d;
  const char* fn = kDeclareNames[static_cast<int>(a.type)];
  const std::string key =
      MetricCatalog::key(a.name, std::span<const Label>(a.labels, a.label_count));
  const LuaVm::MetricScope& scope = vm.metricScope();
  if (scope.lookup != nullptr) {
    const MetricSeries* found = scope.lookup->find(key);
    if (found == nullptr) {
      std::snprintf(d.error, sizeof d.error,
                    "%s: '%.*s' with these labels was not declared when the scripts were "
                    "checked (declare metrics unconditionally at the top level)",
                    fn, static_cast<int>(a.name.size()), a.name.data());
    } else if (found->ref.type != a.type) {
      std::snprintf(d.error, sizeof d.error, "%s: '%.*s' was declared as another type", fn,
                    static_cast<int>(a.name.size()), a.name.data());
    } else {
      d.ok = true;
      d.series = *found;
    }
    return d;
  }

  metrics::FamilySpec spec;
  spec.name = std::string(a.name);
  spec.help = std::string(a.help);
  spec.type = a.type;
  std::string_view values[kMaxLabels];
  for (int i = 0; i < a.label_count; ++i) {
    spec.label_names.emplace_back(a.labels[i].first);
    values[i] = a.labels[i].second;
  }
  if (a.type == MetricType::kGauge) spec.gauge_merge = a.merge;
  if (a.type == MetricType::kHistogram) {
    if (a.bucket_count == 0) {
      spec.buckets = metrics::latencyBucketsSeconds();
    } else {
      spec.buckets.assign(a.buckets, a.buckets + a.bucket_count);
    }
    spec.scale = histogramScale(spec.buckets);
  }
  MetricsDeclarer* declarer = vm.options().declarer;
  const bool live = declarer != nullptr;
  if (declarer == nullptr) declarer = &vm.checkingDeclarer();
  auto ref = declarer->declare(spec, std::span<const std::string_view>(values, a.label_count));
  if (!ref) {
    std::snprintf(d.error, sizeof d.error, "%s: %s", fn, ref.error().message().c_str());
    return d;
  }
  d.ok = true;
  d.series = MetricSeries{*ref, spec.scale, live};
  if (scope.record != nullptr) scope.record->add(key, d.series);
  return d;
}

int declare(lua_State* L, MetricType type) {
  const int t = static_cast<int>(type);
  const char* fn = kDeclareNames[t];
  binding::checkPhase(L, binding::bit(Phase::kLoad), fn);
  DeclareArgs args;
  args.type = type;
  args.name = binding::checkView(L, 1);
  args.help = binding::checkView(L, 2);
  args.label_count = readLabels(L, 3, args.labels, fn);
  if (type == MetricType::kHistogram && !lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    const int n = static_cast<int>(lua_objlen(L, 4));
    if (n < 1 || n > kMaxBuckets) {
      luaL_error(L, "%s: buckets must be a list of 1 to %d numbers", fn, kMaxBuckets);
    }
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, 4, i);
      if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "%s: bucket %d is not a number", fn, i);
      args.buckets[i - 1] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    args.bucket_count = n;
  }
  if (type == MetricType::kGauge && !lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_getfield(L, 4, "merge");
    if (!lua_isnil(L, -1)) {
      const char* merge = lua_tostring(L, -1);
      if (merge != nullptr && std::string_view(merge) == "latest") {
        args.merge = metrics::GaugeMerge::kLatest;
      } else if (merge == nullptr || std::string_view(merge) != "sum") {
        luaL_error(L, "%s: merge must be \"sum\" or \"latest\"", fn);
      }
    }
    lua_pop(L, 1);
  }
  LuaVm& vm = LuaVm::from(L);
  const Declared d = binding::guarded(L, [&] { return resolve(vm, args); });
  if (!d.ok) return luaL_error(L, "%s", d.error);

  static constexpr uint32_t kMagic[] = {kCounterMagic, kGaugeMagic, kHistogramMagic};
  auto* h = static_cast<MetricHandle*>(lua_newuserdata(L, sizeof(MetricHandle)));
  *h = MetricHandle{kMagic[t], d.series.ref.index, d.series.live ? vm.options().shard : nullptr,
                    1.0 / d.series.scale};
  luaL_getmetatable(L, kMetatables[t]);
  lua_setmetatable(L, -2);
  return 1;
}

int declareCounter(lua_State* L) {
  return declare(L, MetricType::kCounter);
}
int declareGauge(lua_State* L) {
  return declare(L, MetricType::kGauge);
}
int declareHistogram(lua_State* L) {
  return declare(L, MetricType::kHistogram);
}

struct WindowResult {
  enum class Status : uint8_t { kValue, kNoData, kUnknown, kError } status = Status::kNoData;
  double value = 0;
  char error[320];
};

// C++ only (guarded): every series of `name` whose labels include `labels`, combined.
WindowResult queryWindow(const metrics::SeriesRegistry& registry,
                         const metrics::WindowStore& windows, std::string_view name,
                         std::span<const Label> labels, metrics::Agg agg, int seconds) {
  WindowResult r;
  const auto family_id = registry.findFamily(name);
  if (!family_id) {
    r.status = WindowResult::Status::kUnknown;
    std::snprintf(r.error, sizeof r.error, "no metric named '%.*s'", static_cast<int>(name.size()),
                  name.data());
    return r;
  }
  const metrics::Family& family = registry.family(*family_id);
  int positions[kMaxLabels];
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& names = family.spec.label_names;
    auto it = std::find(names.begin(), names.end(), labels[i].first);
    if (it == names.end()) {
      std::string known;
      for (const std::string& n : names)
        known += (known.empty() ? "" : ", ") + n;
      r.status = WindowResult::Status::kError;
      std::snprintf(r.error, sizeof r.error, "tg.metrics.window: '%.*s' has no label '%.*s' (%s)",
                    static_cast<int>(name.size()), name.data(),
                    static_cast<int>(labels[i].first.size()), labels[i].first.data(),
                    known.empty() ? "it has none" : ("it has " + known).c_str());
      return r;
    }
    positions[i] = static_cast<int>(it - names.begin());
  }
  thread_local std::vector<metrics::SeriesRef> matched;  // reused: the control VM's thread
  matched.clear();
  for (const metrics::SeriesRef& ref : family.series) {
    const auto& values = registry.info(ref).label_values;
    bool match = true;
    for (size_t i = 0; i < labels.size() && match; ++i)
      match = values[positions[i]] == labels[i].second;
    if (match) matched.push_back(ref);
  }
  if (matched.empty()) return r;
  const auto value = windows.query(matched, agg, std::chrono::seconds(seconds));
  if (!value) return r;
  r.status = WindowResult::Status::kValue;
  r.value = *value;
  // Histograms answer in the units /metrics shows (seconds for the built-in latencies).
  const bool per_value =
      agg.kind != metrics::Agg::Kind::kRate && agg.kind != metrics::Agg::Kind::kCount;
  if (family.spec.type == MetricType::kHistogram && per_value) r.value *= family.spec.scale;
  return r;
}

int window(lua_State* L) {
  LuaVm& vm = LuaVm::from(L);
  const std::string_view name = binding::checkView(L, 1);
  Label labels[kMaxLabels];
  const int label_count = readLabels(L, 2, labels, "tg.metrics.window");
  const char* agg_text = luaL_optstring(L, 3, "avg");
  const auto agg = metrics::Agg::parse(agg_text);
  if (!agg) {
    return luaL_error(L,
                      "tg.metrics.window: unknown aggregation '%s' (rate, sum, count, avg, min, "
                      "max, last, p50, p99, p99.9, ...)",
                      agg_text);
  }
  const lua_Number seconds = luaL_optnumber(L, 4, 60);
  if (!(seconds >= 1 && seconds <= double(metrics::WindowStore::kSeconds))) {
    return luaL_error(L, "tg.metrics.window: the window must be 1 to %d seconds",
                      static_cast<int>(metrics::WindowStore::kSeconds));
  }
  const metrics::SeriesRegistry* registry = vm.options().registry;
  const metrics::WindowStore* windows = vm.options().windows;
  if (registry == nullptr || windows == nullptr) return binding::nilError(L, "no metrics");
  const WindowResult r = binding::guarded(L, [&] {
    return queryWindow(*registry, *windows, name, std::span<const Label>(labels, label_count), *agg,
                       static_cast<int>(std::lround(seconds)));
  });
  switch (r.status) {
    case WindowResult::Status::kValue:
      lua_pushnumber(L, r.value);
      return 1;
    case WindowResult::Status::kNoData:
      lua_pushnil(L);
      return 1;
    case WindowResult::Status::kUnknown:
      return binding::nilError(L, r.error);
    case WindowResult::Status::kError:
      break;
  }
  return luaL_error(L, "%s", r.error);
}

const luaL_Reg kCounterMethods[] = {{"inc", counterInc}, {nullptr, nullptr}};
const luaL_Reg kGaugeMethods[] = {{"set", gaugeSet}, {"add", gaugeAdd}, {nullptr, nullptr}};
const luaL_Reg kHistogramMethods[] = {{"observe", histogramObserve}, {nullptr, nullptr}};

}  // namespace

void openMetrics(lua_State* L, int tg) {
  const luaL_Reg* methods[] = {kCounterMethods, kGaugeMethods, kHistogramMethods};
  for (int t = 0; t < 3; ++t) {
    luaL_newmetatable(L, kMetatables[t]);
    lua_newtable(L);
    luaL_setfuncs(L, methods[t], 0);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, kMetatables[t]);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, declareCounter);
  lua_setfield(L, -2, "counter");
  lua_pushcfunction(L, declareGauge);
  lua_setfield(L, -2, "gauge");
  lua_pushcfunction(L, declareHistogram);
  lua_setfield(L, -2, "histogram");
  if (LuaVm::from(L).options().control) {
    lua_pushcfunction(L, window);
    lua_setfield(L, -2, "window");
  }
  lua_setfield(L, tg, "metrics");
}

}  // namespace tidegate::lua::api
