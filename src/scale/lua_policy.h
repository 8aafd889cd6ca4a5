#pragma once
// LuaPolicy: a scaling policy written in Lua, `return function(ctx) ... return desired end`, run
// in its own sandboxed control-plane VM (memory cap, CPU-time limit per call). A runtime
// error, a time-limit overrun or a non-number answer is an error for that tick (the engine keeps
// the count); the VM stays usable. Control thread only.
//
// ctx: replicas, ready, min, max, now, since_last_scale, params (from config), state (a table
// kept between calls), decisions and scale_events (history, newest first, with ages in
// seconds), events (the pool's event log, when attached), ctx:metric(name, agg, window) and
// ctx:instances(name, agg, window). The answer: a number, `number, reason`, or a table
// {desired=, reason=, recommendation=, inputs={name=value}}; fractions are rounded up.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "lua/script.h"
#include "lua/vm.h"
#include "scale/policy.h"

namespace tidegate::scale {

class EventLog;

struct LuaPolicyOptions {
  size_t memory_limit_bytes = size_t{16} << 20;
  // CPU time per evaluation (lua/vm.h); the target_tracking example takes about 150 us.
  std::chrono::milliseconds time_limit{10};
};

class LuaPolicy final : public Policy {
 public:
  // Loads `source` (its top level must return a function) with `params` as ctx.params.
  static Result<std::unique_ptr<LuaPolicy>> create(std::shared_ptr<const lua::ScriptSource> source,
                                                   const nlohmann::json& params,
                                                   LuaPolicyOptions options = {});
  ~LuaPolicy() override;

  const std::string& name() const override { return name_; }
  Result<Decision> evaluate(const PolicyContext& ctx) override;
  nlohmann::json saveState() const override;
  Result<Ok> restoreState(const nlohmann::json& state) override;

  // Makes ctx.events the newest events of `pool` in `log` (which must outlive this policy).
  void attachEventLog(const EventLog* log, std::string pool);

  size_t memoryUsed() const { return vm_->memoryUsed(); }

 private:
  struct Protected;  // the lua_CFunctions that run inside protectedCall
  explicit LuaPolicy(std::string name) : name_(std::move(name)) {}

  std::string name_;
  std::unique_ptr<lua::LuaVm> vm_;
  int fn_ref_ = LUA_NOREF;
  int params_ref_ = LUA_NOREF;
  int state_ref_ = LUA_NOREF;
  int methods_ref_ = LUA_NOREF;  // {metric = f, instances = f}: closures over `this`
  int trampoline_ref_ = LUA_NOREF;
  int env_ref_ = LUA_NOREF;  // the script's environment (a copy of the sandboxed globals)
  const PolicyContext* current_ = nullptr;              // set during evaluate()
  std::vector<std::pair<std::string, double>> inputs_;  // ctx:metric answers of this call
  std::vector<InstanceMetric> instances_;               // ctx:instances scratch (see lua_policy.cc)
  std::string binding_error_;  // a C++ failure inside a binding, raised after it unwinds
  const EventLog* events_ = nullptr;
  std::string pool_;
};

}  // namespace tidegate::scale
