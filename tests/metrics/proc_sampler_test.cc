// The sampler against the live host: values in sane ranges, no timing assertions.

#include "metrics/proc_sampler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace tidegate::metrics {
namespace {

TEST(ProcSamplerLive, HostValuesAreSane) {
  SteadyClock clock;
  ProcSampler sampler(clock);
  auto first = sampler.sampleHost();
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->cpu_utilization.has_value());
  EXPECT_FALSE(first->net_rx_bytes_per_second.has_value());
  EXPECT_GE(first->cpus, 1u);
  EXPECT_GT(first->memory_total_bytes, 16ull << 20);
  EXPECT_GT(first->memory_available_bytes, 0u);
  EXPECT_LE(first->memory_available_bytes, first->memory_total_bytes);

  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto second = sampler.sampleHost();
  ASSERT_TRUE(second.ok()) << second.error().message();
  ASSERT_TRUE(second->cpu_utilization.has_value());
  EXPECT_GE(*second->cpu_utilization, 0.0);
  EXPECT_LE(*second->cpu_utilization, 1.0);
  ASSERT_TRUE(second->net_rx_bytes_per_second.has_value());
  EXPECT_GE(*second->net_rx_bytes_per_second, 0.0);
  EXPECT_GE(*second->net_tx_bytes_per_second, 0.0);
}

TEST(ProcSamplerLive, OwnProcessCpuAndRss) {
  SteadyClock clock;
  ProcSampler sampler(clock);
  auto first = sampler.sampleProcess(::getpid());
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->cpu_cores.has_value());
  EXPECT_GT(first->rss_bytes, 1ull << 20);  // a gtest binary is more than 1 MiB resident
  EXPECT_LT(first->rss_bytes, 64ull << 30);

  volatile uint64_t spin = 0;  // burn a little CPU so there is something to see
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  while (std::chrono::steady_clock::now() < until)
    spin = spin + 1;
  auto second = sampler.sampleProcess(::getpid());
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->cpu_cores.has_value());
  EXPECT_GE(*second->cpu_cores, 0.0);
  EXPECT_LT(*second->cpu_cores, 1024.0);
}

TEST(ProcSamplerLive, AGoneProcessIsAnError) {
  SteadyClock clock;
  ProcSampler sampler(clock);
  auto gone = sampler.sampleProcess(0x3fffffff);  // above pid_max
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.error().message().find("/proc/"), std::string::npos);
}

TEST(ProcSamplerFixtures, RatesAgainstAControlledClock) {
  // A fake /proc whose files change between samples, on a manual clock.
  const std::string root = ::testing::TempDir() + "tidegate_fake_proc";
  ASSERT_EQ(std::system(("mkdir -p " + root + "/net " + root + "/77").c_str()), 0);
  auto write = [&](const std::string& path, const std::string& text) {
    FILE* f = std::fopen((root + "/" + path).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  auto stat77 = [](int utime, int stime, int start) {
    return "77 (backend) S 1 77 77 0 -1 0 0 0 0 0 " + std::to_string(utime) + " " +
           std::to_string(stime) + " 0 0 20 0 1 0 " + std::to_string(start) + " 0 100\n";
  };
  write("stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800\n");
  write("meminfo", "MemTotal: 2000 kB\nMemAvailable: 500 kB\n");
  write("net/dev", "h|\nh|\n  lo: 5 0 0 0 0 0 0 0 5 0\n eth0: 1000 0 0 0 0 0 0 0 2000 0\n");
  write("77/stat", stat77(100, 50, 9000));
  write("77/status", "Name:\tbackend\nVmRSS:\t  300 kB\n");

  ManualClock clock;
  ProcSampler sampler(clock, {.proc_root = root, .include_loopback = false});
  ASSERT_TRUE(sampler.sampleHost().ok());
  ASSERT_TRUE(sampler.sampleProcess(77).ok());

  clock.advance(std::chrono::seconds(2));
  write("stat", "cpu  250 0 150 900 0 0 0 0 0 0\ncpu0 250 0 150 900\n");  // busy +200, idle +100
  write("net/dev", "h|\nh|\n  lo: 99 0 0 0 0 0 0 0 99 0\n eth0: 5000 0 0 0 0 0 0 0 3000 0\n");
  write("77/stat", stat77(250, 100, 9000));  // +200 ticks in 2 s at 100 Hz: one core
  auto host = sampler.sampleHost();
  ASSERT_TRUE(host.ok()) << host.error().message();
  EXPECT_NEAR(*host->cpu_utilization, 200.0 / 300.0, 1e-9);
  EXPECT_EQ(host->memory_total_bytes, 2000u * 1024);
  EXPECT_EQ(host->memory_available_bytes, 500u * 1024);
  EXPECT_DOUBLE_EQ(*host->net_rx_bytes_per_second, 2000.0);
  EXPECT_DOUBLE_EQ(*host->net_tx_bytes_per_second, 500.0);

  auto process = sampler.sampleProcess(77);
  ASSERT_TRUE(process.ok()) << process.error().message();
  EXPECT_EQ(process->rss_bytes, 300u * 1024);
  if (::sysconf(_SC_CLK_TCK) == 100) {
    EXPECT_DOUBLE_EQ(*process->cpu_cores, 1.0);
  }

  // The pid is reused by another process (new start time): no rate from the old one.
  clock.advance(std::chrono::seconds(1));
  write("77/stat", stat77(5, 5, 12345));
  auto reused = sampler.sampleProcess(77);
  ASSERT_TRUE(reused.ok());
  EXPECT_FALSE(reused->cpu_cores.has_value());
}

}  // namespace
}  // namespace tidegate::metrics
