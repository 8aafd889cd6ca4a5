#include "scale/event_log.h"

#include <algorithm>

#include "core/log.h"

namespace tidegate::scale {

std::string_view eventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kDecision:
      return "decision";
    case EventKind::kScale:
      return "scale";
    case EventKind::kProvider:
      return "provider";
    case EventKind::kError:
      return "error";
  }
  return "?";
}

uint64_t EventLog::record(ScaleEvent event) {
  event.seq = next_seq_++;
  std::string inputs;
  for (const auto& [name, value] : event.inputs)
    inputs += fmt::format("{}{}={:g}", inputs.empty() ? "" : " ", name, value);
  const std::string_view kind = eventKindName(event.kind);
  if (event.kind == EventKind::kProvider) {
    if (event.error.empty()) {
      log::info("scale {}: provider {} {}", event.pool, event.instance, event.reason);
    } else {
      log::warn("scale {}: provider {} {}: {}", event.pool, event.instance, event.reason,
                event.error);
    }
  } else if (event.kind == EventKind::kError) {
    log::warn("scale {}: {} {}: {} (keeping {})", event.pool, kind, event.policy, event.error,
              event.current);
  } else {
    log::info("scale {}: {} {} {} -> {}: {}{}{}", event.pool, kind, event.policy, event.current,
              event.desired, event.reason, inputs.empty() ? "" : " | ", inputs);
  }
  events_.push_back(std::move(event));
  while (events_.size() > capacity_)
    events_.pop_front();
  return events_.back().seq;
}

std::vector<ScaleEvent> EventLog::recent(size_t max, std::string_view pool) const {
  std::vector<ScaleEvent> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < max; ++it) {
    if (pool.empty() || it->pool == pool) out.push_back(*it);
  }
  return {out.rbegin(), out.rend()};
}

std::vector<ScaleEvent> EventLog::since(uint64_t after) const {
  std::vector<ScaleEvent> out;
  for (const ScaleEvent& e : events_) {
    if (e.seq > after) out.push_back(e);
  }
  return out;
}

void EventLog::pushLua(lua_State* L, std::string_view pool, int64_t now_ms, size_t max) const {
  lua_createtable(L, int(std::min(max, events_.size())), 0);
  int i = 1;
  auto setString = [L](const char* key, std::string_view value) {
    lua_pushlstring(L, value.data(), value.size());
    lua_setfield(L, -2, key);
  };
  for (auto it = events_.rbegin(); it != events_.rend() && size_t(i) <= max; ++it) {
    if (!pool.empty() && it->pool != pool) continue;
    lua_createtable(L, 0, 9);
    lua_pushnumber(L, double(now_ms - it->at_ms) / 1000.0);
    lua_setfield(L, -2, "age");
    setString("kind", eventKindName(it->kind));
    setString("policy", it->policy);
    lua_pushinteger(L, it->current);
    lua_setfield(L, -2, "current");
    lua_pushinteger(L, it->desired);
    lua_setfield(L, -2, "desired");
    setString("reason", it->reason);
    if (!it->error.empty()) setString("error", it->error);
    if (!it->instance.empty()) setString("instance", it->instance);
    lua_createtable(L, 0, int(it->inputs.size()));
    for (const auto& [name, value] : it->inputs) {
      lua_pushlstring(L, name.data(), name.size());
      lua_pushnumber(L, value);
      lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "inputs");
    lua_rawseti(L, -2, i++);
  }
}

}  // namespace tidegate::scale
