#pragma once
// EventLog: what the autoscalers decided and did, in a bounded ring buffer (the newest N), each
// event also written to the log. Read from C++ (the admin API) and from Lua (`ctx.events` of a
// policy). Control thread only.

#include <lua.hpp>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidegate::scale {

enum class EventKind : uint8_t {
  kDecision,  // an evaluation whose outcome changed (or was held by a cooldown / dry_run)
  kScale,     // the engine asked the provider for a new count
  kProvider,  // something the provider did (start, ready, crash, drain, stop, ...)
  kError,     // a policy error, a failed provider action
};
std::string_view eventKindName(EventKind kind);

struct ScaleEvent {
  uint64_t seq = 0;   // assigned by the log: 1, 2, ... (an admin API can poll "since")
  int64_t at_ms = 0;  // the engine's clock (core/clock.h milliseconds)
  std::string pool;
  EventKind kind = EventKind::kDecision;
  std::string policy;  // policy name; empty for provider events
  int32_t current = 0;
  int32_t desired = 0;
  std::string reason;                                  // for people: why
  std::vector<std::pair<std::string, double>> inputs;  // metric values the decision used
  std::string error;     // kError (and failed provider actions): what failed
  std::string instance;  // provider events: the instance id, if any
};

class EventLog {
 public:
  explicit EventLog(size_t capacity = 1024) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Stores the event (dropping the oldest when full) and logs it: errors at warn, the rest at
  // info. Returns its sequence number.
  uint64_t record(ScaleEvent event);

  // The newest `max` events, oldest first; only `pool`'s when it is not empty.
  std::vector<ScaleEvent> recent(size_t max, std::string_view pool = {}) const;
  // Events with seq > `after`, oldest first.
  std::vector<ScaleEvent> since(uint64_t after) const;
  uint64_t lastSeq() const { return next_seq_ - 1; }
  size_t size() const { return events_.size(); }

  // Pushes the newest `max` events of `pool`, newest first, as an array of tables
  // {age, kind, policy, current, desired, reason, error, instance, inputs = {name = value}};
  // `age` is in seconds before `now_ms`. Protected mode only (it allocates).
  void pushLua(lua_State* L, std::string_view pool, int64_t now_ms, size_t max) const;

 private:
  size_t capacity_;
  std::deque<ScaleEvent> events_;
  uint64_t next_seq_ = 1;
};

}  // namespace tidegate::scale
