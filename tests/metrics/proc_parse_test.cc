#include "metrics/proc_parse.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace tidegate::metrics {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(TIDEGATE_METRICS_FIXTURES) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ProcStat, ParsesTheAggregateCpuLine) {
  // cpu  256799 0 54435 238225 714 0 8398 639 0 0, two CPUs.
  auto t = parseProcStat(fixture("proc_stat.txt"));
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->total, 256799u + 54435 + 238225 + 714 + 8398 + 639);
  EXPECT_EQ(t->busy, t->total - 238225 - 714);
  EXPECT_EQ(t->cpus, 2u);
}

TEST(ProcStat, UtilizationBetweenTwoSamples) {
  auto before = parseProcStat(fixture("proc_stat.txt"));
  auto after = parseProcStat(fixture("proc_stat_later.txt"));
  ASSERT_TRUE(before.ok() && after.ok());
  // later: cpu  256920 0 54479 238249 714 0 8406 640 0 0
  const double busy = (256920 - 256799) + (54479 - 54435) + (8406 - 8398) + (640 - 639);
  const double idle = 238249 - 238225;
  EXPECT_DOUBLE_EQ(cpuUtilization(*before, *after), busy / (busy + idle));
  EXPECT_EQ(cpuUtilization(*after, *after), 0.0);   // no time passed
  EXPECT_EQ(cpuUtilization(*after, *before), 0.0);  // counters went backwards
}

TEST(ProcStat, OldKernelsWithFourFieldsAndErrors) {
  auto t = parseProcStat("cpu  10 0 10 80\ncpu0 10 0 10 80\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->total, 100u);
  EXPECT_EQ(t->busy, 20u);
  EXPECT_FALSE(parseProcStat("intr 1 2 3\n").ok());
  EXPECT_FALSE(parseProcStat("cpu  1 2\n").ok());
  EXPECT_FALSE(parseProcStat("").ok());
}

TEST(Meminfo, ParsesTotalAndAvailable) {
  auto m = parseMeminfo(fixture("proc_meminfo.txt"));
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->total_bytes, 24683656ull * 1024);
  EXPECT_GT(m->available_bytes, 0u);
  EXPECT_LE(m->available_bytes, m->total_bytes);
  EXPECT_EQ(m->usedBytes(), m->total_bytes - m->available_bytes);
}

TEST(Meminfo, FallsBackWithoutMemAvailableAndRejectsGarbage) {
  auto m = parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->available_bytes, 420u * 1024);
  EXPECT_FALSE(parseMeminfo("MemFree: 1 kB\n").ok());
  EXPECT_FALSE(parseMeminfo("MemTotal: 1000 kB\n").ok());
}

TEST(NetDev, SumsInterfacesWithOrWithoutLoopback) {
  const std::string text = fixture("proc_net_dev.txt");
  auto without = parseNetDev(text, false);
  auto with = parseNetDev(text, true);
  ASSERT_TRUE(without.ok() && with.ok());
  // Captured: lo 3856584303 / 3856584303, eth0 60334986 / 84425, ifb0 and ifb1 zero.
  EXPECT_EQ(without->rx_bytes, 60334986u);
  EXPECT_EQ(without->tx_bytes, 84425u);
  EXPECT_EQ(with->rx_bytes, 60334986u + 3856584303u);
  EXPECT_EQ(with->tx_bytes, 84425u + 3856584303u);
}

TEST(NetDev, SeveralInterfaces) {
  auto n = parseNetDev(
      "Inter-|   Receive |  Transmit\n"
      " face |bytes    packets|bytes\n"
      "  eth0: 100 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
      "wlan0:200 2 0 0 0 0 0 0 20 2 0 0 0 0 0 0\n"
      "    lo: 999 9 0 0 0 0 0 0 999 9 0 0 0 0 0 0\n",
      false);
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->rx_bytes, 300u);
  EXPECT_EQ(n->tx_bytes, 30u);
}

TEST(NetDev, RejectsTruncatedLines) {
  EXPECT_FALSE(parseNetDev("Inter-|\n face |\n  eth0: 1 2 3\n", false).ok());
  EXPECT_FALSE(parseNetDev("Inter-|\n face |\n", false).ok());
}

TEST(PidStat, ParsesACapturedProcess) {
  auto s = parsePidStat(fixture("pid_stat.txt"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->comm, "sleep");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->start_ticks, 281345u);
  EXPECT_EQ(s->rss_pages, 396u);
}

TEST(PidStat, CommWithSpacesAndParentheses) {
  auto s = parsePidStat(fixture("pid_stat_odd_comm.txt"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->comm, "my (odd) proc");
  EXPECT_EQ(s->state, 'R');
  EXPECT_EQ(s->utime_ticks, 1234u);
  EXPECT_EQ(s->stime_ticks, 567u);
  EXPECT_EQ(s->start_ticks, 99999u);
  EXPECT_EQ(s->rss_pages, 2500u);
}

TEST(PidStat, RejectsTruncatedOrMalformed) {
  EXPECT_FALSE(parsePidStat("").ok());
  EXPECT_FALSE(parsePidStat("12 (x R 1 2 3").ok());
  EXPECT_FALSE(parsePidStat("12 (x) R 1 2 3").ok());
}

TEST(PidStatus, RssFromVmRssOrZeroForKernelThreads) {
  auto rss = parseStatusRssBytes(fixture("pid_status.txt"));
  ASSERT_TRUE(rss.ok());
  EXPECT_EQ(*rss, 1692u * 1024);
  auto kernel = parseStatusRssBytes(fixture("kthread_status.txt"));
  ASSERT_TRUE(kernel.ok());
  EXPECT_EQ(*kernel, 0u);
  EXPECT_FALSE(parseStatusRssBytes("garbage\n").ok());
}

}  // namespace
}  // namespace tidegate::metrics
