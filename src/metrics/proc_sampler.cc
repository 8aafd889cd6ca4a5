#include "metrics/proc_sampler.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tidegate::metrics {
namespace {

// strerror() is not thread-safe; the error category's message is.
std::string errnoText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

}  // namespace

Result<std::string> readProcFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Error(ErrorSource::kInternal, path + ": " + errnoText(errno));
  }
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      content.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int err = errno;
      ::close(fd);
      return Error(ErrorSource::kInternal, path + ": " + errnoText(err));
    }
  }
  ::close(fd);
  return content;
}

ProcSampler::ProcSampler(const Clock& clock, Options options)
    : clock_(clock),
      options_(std::move(options)),
      ticks_per_second_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {
  if (ticks_per_second_ <= 0) ticks_per_second_ = 100;
  if (page_size_ <= 0) page_size_ = 4096;
}

Result<HostSample> ProcSampler::sampleHost() {
  HostSample sample;
  auto stat_text = readProcFile(options_.proc_root + "/stat");
  if (!stat_text) return stat_text.error();
  auto cpu = parseProcStat(*stat_text);
  if (!cpu) return cpu.error();
  sample.cpus = cpu->cpus;
  if (cpu_) sample.cpu_utilization = cpuUtilization(*cpu_, *cpu);
  cpu_ = *cpu;

  auto mem_text = readProcFile(options_.proc_root + "/meminfo");
  if (!mem_text) return mem_text.error();
  auto mem = parseMeminfo(*mem_text);
  if (!mem) return mem.error();
  sample.memory_total_bytes = mem->total_bytes;
  sample.memory_available_bytes = mem->available_bytes;

  auto net_text = readProcFile(options_.proc_root + "/net/dev");
  if (!net_text) return net_text.error();
  auto net = parseNetDev(*net_text, options_.include_loopback);
  if (!net) return net.error();
  const std::chrono::nanoseconds now = clock_.now();
  if (net_ && now > net_at_) {
    const double seconds = std::chrono::duration<double>(now - net_at_).count();
    // A counter that went backwards (interface gone, wrapped) gives 0, not a huge rate.
    auto rate = [&](uint64_t before, uint64_t after) {
      return after >= before ? static_cast<double>(after - before) / seconds : 0.0;
    };
    sample.net_rx_bytes_per_second = rate(net_->rx_bytes, net->rx_bytes);
    sample.net_tx_bytes_per_second = rate(net_->tx_bytes, net->tx_bytes);
  }
  net_ = *net;
  net_at_ = now;
  return sample;
}

Result<ProcessSample> ProcSampler::sampleProcess(int pid) {
  const std::string dir = options_.proc_root + "/" + std::to_string(pid);
  auto stat_text = readProcFile(dir + "/stat");
  if (!stat_text) {
    processes_.erase(pid);
    return stat_text.error();
  }
  auto stat = parsePidStat(*stat_text);
  if (!stat) return stat.error();
  ProcessSample sample;
  auto status_text = readProcFile(dir + "/status");
  if (status_text) {
    auto rss = parseStatusRssBytes(*status_text);
    if (!rss) return rss.error();
    sample.rss_bytes = *rss;
  } else {
    sample.rss_bytes = stat->rss_pages * static_cast<uint64_t>(page_size_);
  }
  const std::chrono::nanoseconds now = clock_.now();
  const uint64_t cpu_ticks = stat->utime_ticks + stat->stime_ticks;
  auto it = processes_.find(pid);
  if (it != processes_.end() && it->second.start_ticks == stat->start_ticks &&
      now > it->second.at && cpu_ticks >= it->second.cpu_ticks) {
    const double seconds = std::chrono::duration<double>(now - it->second.at).count();
    sample.cpu_cores = static_cast<double>(cpu_ticks - it->second.cpu_ticks) /
                       static_cast<double>(ticks_per_second_) / seconds;
  }
  processes_[pid] = Previous{now, stat->start_ticks, cpu_ticks};
  return sample;
}

}  // namespace tidegate::metrics
