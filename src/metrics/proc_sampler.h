#pragma once
// ProcSampler: host CPU, memory and network rates, and per-process CPU and RSS, read from
// /proc and turned into rates against the previous sample. Control thread only (it reads
// files: never on a worker). The parsing lives in proc_parse.h.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "metrics/clock.h"
#include "metrics/proc_parse.h"

namespace tidegate::metrics {

struct HostSample {
  uint32_t cpus = 0;
  std::optional<double> cpu_utilization;  // [0, 1] of all CPUs; nullopt on the first sample
  uint64_t memory_total_bytes = 0;
  uint64_t memory_available_bytes = 0;
  std::optional<double> net_rx_bytes_per_second;  // nullopt on the first sample
  std::optional<double> net_tx_bytes_per_second;
};

struct ProcessSample {
  std::optional<double> cpu_cores;  // CPU seconds per second (2.0: two cores busy); first: nullopt
  uint64_t rss_bytes = 0;
};

// Reads a whole /proc (or any) file. Errors name the path and errno.
Result<std::string> readProcFile(const std::string& path);

class ProcSampler {
 public:
  struct Options {
    std::string proc_root = "/proc";  // tests point it elsewhere
    bool include_loopback = false;    // count "lo" in network rates
  };

  // `clock` must outlive the sampler.
  explicit ProcSampler(const Clock& clock) : ProcSampler(clock, Options{}) {}
  ProcSampler(const Clock& clock, Options options);

  Result<HostSample> sampleHost();
  // Fails when the process is gone. A pid reused by a new process starts over.
  Result<ProcessSample> sampleProcess(int pid);
  void forgetProcess(int pid) { processes_.erase(pid); }

 private:
  struct Previous {
    std::chrono::nanoseconds at{0};
    uint64_t start_ticks = 0;
    uint64_t cpu_ticks = 0;
  };

  const Clock& clock_;
  Options options_;
  long ticks_per_second_;
  long page_size_;
  std::optional<CpuTimes> cpu_;
  std::optional<NetBytes> net_;
  std::chrono::nanoseconds net_at_{0};
  std::unordered_map<int, Previous> processes_;
};

}  // namespace tidegate::metrics
