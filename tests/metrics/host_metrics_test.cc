#include "metrics/host_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <memory>

#include "metrics/aggregator.h"
#include "metrics/prometheus.h"

namespace tidegate::metrics {
namespace {

TEST(HostMetrics, PublishesSamplesAsGaugesAndLeavesMissingRatesAbsent) {
  SeriesRegistry registry;
  auto host = HostMetrics::declare(registry);
  ASSERT_TRUE(host.ok()) << host.error().message();
  auto backend = host->process("pool", "127.0.0.1:9001");
  ASSERT_TRUE(backend.ok());
  auto control = std::make_shared<MetricShard>();
  control->reserve(registry.layout());
  ManualClock clock;
  Aggregator aggregator(registry, clock);
  aggregator.addShard(control);

  HostSample first;  // a first sample has no rates yet
  first.memory_total_bytes = 8000;
  first.memory_available_bytes = 3000;
  host->publish(*control, first);
  HostMetrics::publish(*control, *backend, ProcessSample{std::nullopt, 4096});
  aggregator.fold();
  const FoldedTotals& t = aggregator.totals();
  EXPECT_EQ(t.gauges[host->memoryTotal().index], 8000.0);
  EXPECT_EQ(t.gauges[host->memoryAvailable().index], 3000.0);
  EXPECT_TRUE(std::isnan(t.gauges[host->cpuUtilization().index]));
  EXPECT_TRUE(std::isnan(t.gauges[backend->cpu_cores.index]));
  EXPECT_EQ(t.gauges[backend->rss_bytes.index], 4096.0);
  const std::string text = renderPrometheus(registry, t);
  EXPECT_EQ(text.find("tidegate_host_cpu_utilization_ratio"), std::string::npos) << text;
  EXPECT_NE(text.find("tidegate_host_memory_available_bytes 3000\n"), std::string::npos) << text;

  HostSample second = first;
  second.cpu_utilization = 0.25;
  second.net_rx_bytes_per_second = 1e6;
  second.net_tx_bytes_per_second = 2e5;
  host->publish(*control, second);
  HostMetrics::publish(*control, *backend, ProcessSample{1.5, 8192});
  clock.advance(std::chrono::seconds(1));
  aggregator.fold();
  EXPECT_EQ(t.gauges[host->cpuUtilization().index], 0.25);
  EXPECT_EQ(t.gauges[host->networkReceive().index], 1e6);
  EXPECT_EQ(t.gauges[host->networkTransmit().index], 2e5);
  EXPECT_EQ(t.gauges[backend->cpu_cores.index], 1.5);
  // What a CPU-threshold policy asks: the backend's average CPU over the last 15 s.
  EXPECT_DOUBLE_EQ(*aggregator.windows().query(backend->cpu_cores, Agg::of(Agg::Kind::kAvg),
                                               std::chrono::seconds(15)),
                   1.5);
}

TEST(HostMetrics, LiveSamplerToExposition) {
  SeriesRegistry registry;
  auto host = HostMetrics::declare(registry);
  ASSERT_TRUE(host.ok());
  auto self = host->process("pool", "self");
  ASSERT_TRUE(self.ok());
  auto control = std::make_shared<MetricShard>();
  control->reserve(registry.layout());
  SteadyClock clock;
  Aggregator aggregator(registry, clock);
  aggregator.addShard(control);
  ProcSampler sampler(clock);
  for (int round = 0; round < 2; ++round) {
    auto sample = sampler.sampleHost();
    ASSERT_TRUE(sample.ok()) << sample.error().message();
    host->publish(*control, *sample);
    auto process = sampler.sampleProcess(::getpid());
    ASSERT_TRUE(process.ok());
    HostMetrics::publish(*control, *self, *process);
    aggregator.fold();
  }
  const FoldedTotals& t = aggregator.totals();
  EXPECT_GE(t.gauges[host->cpuUtilization().index], 0.0);
  EXPECT_LE(t.gauges[host->cpuUtilization().index], 1.0);
  EXPECT_GT(t.gauges[host->memoryTotal().index], 0.0);
  EXPECT_GT(t.gauges[self->rss_bytes.index], 0.0);
  EXPECT_GE(t.gauges[self->cpu_cores.index], 0.0);
}

}  // namespace
}  // namespace tidegate::metrics
