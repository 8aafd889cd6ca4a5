#pragma once
// Calling a route script's hooks for one request: on_request, balance, on_response, on_log.
// A hook that fails (runtime error, time limit, memory cap) fails only its request:
// the outcome says "answer 500", the message ("script:line: message") is logged (throttled)
// and counted in Script::counters(). The worker that owns the script's VM calls these.

#include <memory>
#include <string>

#include "lua/request_context.h"
#include "lua/script.h"

namespace tidegate::lua {

enum class HookAction : uint8_t {
  kContinue,  // go on with the request (also when the script has no such hook)
  kRespond,   // on_request called tg.respond: send the response given to RequestContext::respond
  kFail,      // the hook failed: answer 500 (discard any tg.respond), the error is in `error`
};

struct HookOutcome {
  HookAction action = HookAction::kContinue;
  std::string error;  // kFail only; already logged and counted
};

// balance() returned nil (or the script has no balance): use the pool's built-in balancer.
inline constexpr int kBalanceFallback = -1;
// balance() failed: answer 500.
inline constexpr int kBalanceFailed = -2;

HookOutcome runOnRequest(const Script& script, RequestContext& req);

// The index in `backends` of the backend balance() returned, or kBalanceFallback, or
// kBalanceFailed (with the message in `error` when given). The Lua array of backend objects is
// cached per pool and rebuilt only when backends->generation() changes.
int runBalance(const Script& script, RequestContext& req,
               const std::shared_ptr<const BackendSet>& backends, std::string* error = nullptr);

HookOutcome runOnResponse(const Script& script, RequestContext& req, ResponseContext& resp);

// After the response went out; a failure is logged and counted, nothing else. Ends the
// request's Lua state like finishRequest.
void runOnLog(const Script& script, RequestContext& req, ResponseContext& resp,
              const LogTimings& timings);

// Releases what the hooks kept for `req` (its tg.var table). The proxy calls it once when the
// request ends without runOnLog (no on_log hook, client gone, ...); calling it twice is safe.
void finishRequest(LuaVm& vm, RequestContext& req);

}  // namespace tidegate::lua
