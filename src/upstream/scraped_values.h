#pragma once
// ScrapedValues: the latest values the backend scraper (server/backend_scraper.h) read from one
// backend's own metrics endpoint, where Lua's b:metric(name) reads them on any worker.
//
// The names are fixed when the block is made, so a slot always means the same name for every
// reader: an upstream whose list of names changes in a reload gets new blocks (and a new Lua
// backend set), while readers still holding the old block see its values age out. Values are
// relaxed atomics written by the control thread only; a reader may pair a value with its
// neighbour's freshness, which is harmless (both come from adjacent scrapes of one metric).

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tidegate::upstream {

class ScrapedValues {
 public:
  explicit ScrapedValues(std::vector<std::string> names)
      : names_(std::move(names)), slots_(std::make_unique<Slot[]>(names_.size())) {}

  const std::vector<std::string>& names() const { return names_; }

  // Any thread: the value of `name` when it is known and fresh at `now_ms` (coarseNowMs()).
  bool read(std::string_view name, int64_t now_ms, double& out) const {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return read(i, now_ms, out);
    return false;
  }
  bool read(size_t index, int64_t now_ms, double& out) const {
    const Slot& s = slots_[index];
    if (now_ms >= s.fresh_until_ms.load(std::memory_order_relaxed)) return false;
    out = s.value.load(std::memory_order_relaxed);
    return true;
  }

  // Control thread: a new value of names()[index], to be trusted until `fresh_until_ms`.
  void store(size_t index, double value, int64_t fresh_until_ms) {
    slots_[index].value.store(value, std::memory_order_relaxed);
    slots_[index].fresh_until_ms.store(fresh_until_ms, std::memory_order_relaxed);
  }

 private:
  struct Slot {
    std::atomic<double> value{std::numeric_limits<double>::quiet_NaN()};
    std::atomic<int64_t> fresh_until_ms{0};  // 0: never scraped
  };

  std::vector<std::string> names_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace tidegate::upstream
