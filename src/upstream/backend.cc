#include "upstream/backend.h"

#include <algorithm>
#include <cmath>

namespace tidegate::upstream {

void Backend::onRequestEnd(int64_t now_ms, int64_t latency_us, bool failed) const {
  auto& s = stats_;
  s.inflight.fetch_sub(1, std::memory_order_relaxed);
  s.requests_total.fetch_add(1, std::memory_order_relaxed);

  // Peak EWMA: racy read-modify-write across workers is acceptable; a lost update only
  // loses one sample of a smoothed value.
  if (!failed) {
    double sample = double(latency_us);
    double prev = s.ewma_latency_us.load(std::memory_order_relaxed);
    int64_t stamp = s.ewma_stamp_ms.load(std::memory_order_relaxed);
    double next;
    if (prev == 0.0 || sample > prev) {
      next = sample;
    } else {
      double elapsed = double(std::max<int64_t>(0, now_ms - stamp));
      double w = std::exp(-elapsed / kEwmaDecayMs);
      next = prev * w + sample * (1.0 - w);
    }
    s.ewma_latency_us.store(next, std::memory_order_relaxed);
    s.ewma_stamp_ms.store(now_ms, std::memory_order_relaxed);
  }

  double err = s.error_rate.load(std::memory_order_relaxed);
  s.error_rate.store(err * 0.95 + (failed ? 0.05 : 0.0), std::memory_order_relaxed);

  if (failed) {
    s.failures_total.fetch_add(1, std::memory_order_relaxed);
    uint32_t n = s.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= kEjectAfterFailures) {
      s.ejected_until_ms.store(now_ms + kEjectForMs, std::memory_order_relaxed);
      s.consecutive_failures.store(0, std::memory_order_relaxed);
    }
  } else if (s.consecutive_failures.load(std::memory_order_relaxed) != 0) {
    s.consecutive_failures.store(0, std::memory_order_relaxed);
  }
}

}  // namespace tidegate::upstream
