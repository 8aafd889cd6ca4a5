// Validates the exposition of a realistic gateway with `promtool check metrics` (Debian
// package prometheus). Skipped when promtool is not installed.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "metrics/aggregator.h"
#include "metrics/host_metrics.h"
#include "metrics/prometheus.h"
#include "metrics/request_metrics.h"

namespace tidegate::metrics {
namespace {

bool havePromtool() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

// Runs promtool on `text`; returns its exit status and fills `output`.
int promtoolCheck(const std::string& text, std::string& output) {
  const std::string dir = ::testing::TempDir();
  const std::string in = dir + "tidegate_metrics_" + std::to_string(::getpid()) + ".prom";
  const std::string out = in + ".out";
  std::ofstream(in) << text;
  const int status =
      std::system(("promtool check metrics < " + in + " > " + out + " 2>&1").c_str());
  std::ifstream result(out);
  std::stringstream ss;
  ss << result.rdbuf();
  output = ss.str();
  std::remove(in.c_str());
  std::remove(out.c_str());
  return status;
}

TEST(Promtool, GatewayExpositionPassesCheckMetrics) {
  if (!havePromtool()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  SeriesRegistry registry;
  auto m = RequestMetrics::declare(registry);
  ASSERT_TRUE(m.ok());
  auto api = m->route("api", "pool");
  auto odd = m->route("we\"ird\\route\nname", "pool");
  auto b1 = m->backend("pool", "127.0.0.1:9001");
  auto b2 = m->backend("pool", "[::1]:9002");
  auto pool = m->pool("pool");
  ASSERT_TRUE(api.ok() && odd.ok() && b1.ok() && b2.ok() && pool.ok());
  FamilySpec custom;
  custom.name = "tidegate_custom_cart_checkouts_total";
  custom.help = "Checkouts counted by a Lua script.";
  custom.type = MetricType::kCounter;
  custom.label_names = {"shop"};
  const CounterId checkouts{registry.series(*registry.declare(custom), {"eu"})->index};

  auto host = HostMetrics::declare(registry);
  ASSERT_TRUE(host.ok());
  auto process = host->process("pool", "127.0.0.1:9001");
  ASSERT_TRUE(process.ok());

  auto worker = std::make_shared<MetricShard>();
  worker->reserve(registry.layout());
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  aggregator.addShard(worker);
  for (int i = 0; i < 1000; ++i) {
    const BackendSeries& b = i % 2 ? *b1 : *b2;
    recordRequest(*worker, i % 10 ? *api : *odd, &b, statusClassOf(i % 17 ? 200 : 502),
                  static_cast<uint64_t>(100 + i * 97), 200, 1500);
  }
  upstreamConnectFailure(*worker, *b2);
  connectionOpened(*worker, *m);
  worker->set(pool->replicas, 2);
  worker->add(checkouts, 3);
  HostSample sample;
  sample.cpu_utilization = 0.4;
  sample.memory_total_bytes = 8ull << 30;
  sample.memory_available_bytes = 5ull << 30;
  sample.net_rx_bytes_per_second = 12345.5;
  sample.net_tx_bytes_per_second = 0;
  host->publish(*worker, sample);
  HostMetrics::publish(*worker, *process, ProcessSample{0.25, 50ull << 20});
  aggregator.fold();

  const std::string text = renderPrometheus(registry, aggregator.totals());
  std::string output;
  const int status = promtoolCheck(text, output);
  EXPECT_EQ(status, 0) << output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(output, "") << output;
}

TEST(Promtool, CatchesABrokenExposition) {
  if (!havePromtool()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  std::string output;
  EXPECT_NE(promtoolCheck("# TYPE x counter\nx{a=\"unterminated} 1\n", output), 0);
}

}  // namespace
}  // namespace tidegate::metrics
