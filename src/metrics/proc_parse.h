#pragma once
// Parsers for the Linux /proc files the host metrics come from (/proc/stat, /proc/meminfo,
// /proc/net/dev, /proc/PID/stat, /proc/PID/status). Pure: they take the file's content, so
// tests feed captured fixtures. Any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tidegate::metrics {

// The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ) summed over all CPUs.
struct CpuTimes {
  uint64_t busy = 0;   // total - idle - iowait
  uint64_t total = 0;  // user nice system idle iowait irq softirq steal (guest is in user)
  uint32_t cpus = 0;   // "cpuN" lines
};
Result<CpuTimes> parseProcStat(std::string_view content);
// Share of all CPUs' time spent busy between two samples, in [0, 1]; 0 if no time passed.
double cpuUtilization(const CpuTimes& before, const CpuTimes& after);

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // MemAvailable, or MemFree + Buffers + Cached before 3.14
  uint64_t usedBytes() const { return total_bytes - available_bytes; }
};
Result<MemInfo> parseMeminfo(std::string_view content);

// Bytes received and sent, summed over interfaces (loopback only if asked).
struct NetBytes {
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};
Result<NetBytes> parseNetDev(std::string_view content, bool include_loopback);

// The fields of /proc/PID/stat the samplers use. comm may hold spaces and parentheses.
struct ProcessStat {
  int pid = 0;
  std::string comm;
  char state = '?';
  uint64_t utime_ticks = 0;
  uint64_t stime_ticks = 0;
  uint64_t start_ticks = 0;  // since boot: tells a reused pid from the process we knew
  uint64_t rss_pages = 0;
};
Result<ProcessStat> parsePidStat(std::string_view content);

// VmRSS of /proc/PID/status in bytes; 0 when the field is absent (kernel threads, zombies).
Result<uint64_t> parseStatusRssBytes(std::string_view content);

}  // namespace tidegate::metrics
