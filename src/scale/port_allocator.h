#pragma once
// PortAllocator: hands out the listening ports of a process pool's instances from a configured
// range, round-robin, skipping ports in use. Control thread only.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace tidegate::scale {

class PortAllocator {
 public:
  // `looks_free(port)` rejects ports something else already listens on; the default tries to
  // bind them (see portLooksFree).
  using FreeCheck = std::function<bool(uint16_t)>;
  PortAllocator(uint16_t min, uint16_t max, FreeCheck looks_free);

  // The next port after the last one handed out that is neither ours nor busy; nullopt when
  // the whole range is taken. Round-robin rather than lowest-first so that a port just
  // released (its old process may still be exiting, its sockets in TIME_WAIT) is reused last.
  std::optional<uint16_t> acquire();
  void release(uint16_t port);

  // 0 when no range is configured (min 0).
  uint32_t capacity() const { return min_ == 0 ? 0 : uint32_t(max_) - min_ + 1; }
  uint32_t inUse() const { return uint32_t(used_.size()); }

 private:
  uint16_t min_;
  uint16_t max_;
  uint16_t next_;
  FreeCheck looks_free_;
  std::set<uint16_t> used_;
};

// True when a listening socket could bind host:port right now (SO_REUSEADDR, like a server
// would). A cheap non-blocking check; the port may still be taken before the child binds it,
// which then shows up as a crash and a restart on another port.
bool portLooksFree(const std::string& host, uint16_t port);

}  // namespace tidegate::scale
