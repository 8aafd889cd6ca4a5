// Backend live stats: the peak-EWMA update, the error rate, and passive ejection.

#include "upstream/backend.h"

#include <gtest/gtest.h>

#include <cmath>

#include "upstream/lb/eligibility.h"
#include "upstream/test_backends.h"

namespace tidegate::upstream {
namespace {

using testing::makeBackend;

void complete(const Backend& backend, int64_t now_ms, int64_t latency_us, bool failed = false) {
  backend.onRequestStart();
  backend.onRequestEnd(now_ms, latency_us, failed);
}

double ewmaOf(const Backend& backend) {
  return backend.stats().ewma_latency_us.load(std::memory_order_relaxed);
}

TEST(BackendTest, InflightCountsStartsAndEnds) {
  auto backend = makeBackend(9001);
  backend->onRequestStart();
  backend->onRequestStart();
  EXPECT_EQ(backend->stats().inflight.load(), 2);
  backend->onRequestEnd(0, 100, false);
  EXPECT_EQ(backend->stats().inflight.load(), 1);
  EXPECT_EQ(backend->stats().requests_total.load(), 1u);
}

TEST(BackendTest, FirstSampleSetsEwma) {
  auto backend = makeBackend(9001);
  complete(*backend, 1000, 2500);
  EXPECT_DOUBLE_EQ(ewmaOf(*backend), 2500.0);
  EXPECT_EQ(backend->stats().ewma_stamp_ms.load(), 1000);
}

TEST(BackendTest, SlowerSampleIsTakenAtOnce) {
  auto backend = makeBackend(9001);
  complete(*backend, 1000, 1000);
  complete(*backend, 1001, 50000);
  EXPECT_DOUBLE_EQ(ewmaOf(*backend), 50000.0);
}

TEST(BackendTest, FasterSampleDecaysWithElapsedTime) {
  auto backend = makeBackend(9001);
  complete(*backend, 0, 10000);
  // One time constant later the old value keeps weight e^-1.
  int64_t later = int64_t(Backend::kEwmaDecayMs);
  complete(*backend, later, 1000);
  double w = std::exp(-1.0);
  EXPECT_NEAR(ewmaOf(*backend), 10000 * w + 1000 * (1 - w), 1e-6);
  EXPECT_EQ(backend->stats().ewma_stamp_ms.load(), later);
}

TEST(BackendTest, FasterSampleAtSameInstantChangesNothing) {
  auto backend = makeBackend(9001);
  complete(*backend, 500, 8000);
  complete(*backend, 500, 10);
  EXPECT_DOUBLE_EQ(ewmaOf(*backend), 8000.0);
}

TEST(BackendTest, FailuresDoNotFeedLatency) {
  auto backend = makeBackend(9001);
  complete(*backend, 0, 3000);
  complete(*backend, 10, 1, /*failed=*/true);
  EXPECT_DOUBLE_EQ(ewmaOf(*backend), 3000.0);
}

TEST(BackendTest, ErrorRateIsExponentiallyWeighted) {
  auto backend = makeBackend(9001);
  complete(*backend, 0, 100, /*failed=*/true);
  EXPECT_NEAR(backend->stats().error_rate.load(), 0.05, 1e-12);
  complete(*backend, 0, 100);
  EXPECT_NEAR(backend->stats().error_rate.load(), 0.05 * 0.95, 1e-12);
  for (int i = 0; i < 200; ++i)
    complete(*backend, 0, 100, /*failed=*/(i % 2) == 0);
  // Alternating outcomes settle near one half.
  EXPECT_NEAR(backend->stats().error_rate.load(), 0.5, 0.03);
  EXPECT_EQ(backend->stats().failures_total.load(), 101u);
}

TEST(BackendTest, EjectedAfterConsecutiveFailures) {
  auto backend = makeBackend(9001);
  for (uint32_t i = 0; i + 1 < Backend::kEjectAfterFailures; ++i) {
    complete(*backend, 100, 100, /*failed=*/true);
  }
  EXPECT_FALSE(backend->ejected(100));
  complete(*backend, 100, 100, /*failed=*/true);
  EXPECT_TRUE(backend->ejected(100));
  EXPECT_EQ(backend->stats().consecutive_failures.load(), 0u);
}

TEST(BackendTest, SuccessResetsTheFailureRun) {
  auto backend = makeBackend(9001);
  for (uint32_t i = 0; i + 1 < Backend::kEjectAfterFailures; ++i) {
    complete(*backend, 100, 100, /*failed=*/true);
  }
  complete(*backend, 100, 100);
  complete(*backend, 100, 100, /*failed=*/true);
  EXPECT_FALSE(backend->ejected(100));
}

TEST(BackendTest, RecoversWhenEjectionExpires) {
  auto backend = makeBackend(9001);
  testing::eject(*backend, 1000);
  EXPECT_TRUE(backend->ejected(1000));
  EXPECT_TRUE(backend->ejected(1000 + Backend::kEjectForMs - 1));
  EXPECT_FALSE(backend->ejected(1000 + Backend::kEjectForMs));
}

TEST(BackendTest, ZeroWeightCountsAsOne) {
  auto backend = makeBackend(9001, 0);
  EXPECT_EQ(lb::effectiveWeight(*backend), 1u);
}

}  // namespace
}  // namespace tidegate::upstream
