#pragma once
// Clocks: a cheap coarse monotonic clock for deadlines on the hot path (vDSO, no syscall),
// and wall time for logs.

#include <cstdint>
#include <ctime>

namespace tidegate {

// Milliseconds since an arbitrary epoch; resolution of a few ms. For timeouts only.
inline int64_t coarseNowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Nanoseconds, precise; for latency measurement.
inline int64_t monotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Milliseconds since the Unix epoch (coarse: a few ms); for log timestamps.
inline int64_t wallNowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace tidegate
