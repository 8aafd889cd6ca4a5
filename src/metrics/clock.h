#pragma once
// Clock: the time source of the metrics control plane (aggregator ticks, /proc rates), an
// interface so that tests and `tidegate simulate` can drive time. Any thread may call now().

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tidegate::metrics {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary epoch.
  virtual std::chrono::nanoseconds now() const = 0;
};

// CLOCK_MONOTONIC through std::chrono::steady_clock.
class SteadyClock final : public Clock {
 public:
  std::chrono::nanoseconds now() const override {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
};

// Time that moves only when told to: for tests and simulations.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::nanoseconds start = std::chrono::seconds(1000))
      : now_(start.count()) {}

  std::chrono::nanoseconds now() const override {
    return std::chrono::nanoseconds(now_.load(std::memory_order_relaxed));
  }
  void set(std::chrono::nanoseconds t) { now_.store(t.count(), std::memory_order_relaxed); }
  void advance(std::chrono::nanoseconds d) { now_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace tidegate::metrics
