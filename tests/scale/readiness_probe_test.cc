// The readiness probe against a real tidegate-echo and against hand-made misbehaving listeners:
// 2xx is ready, anything else (status, refusal, silence, garbage) is not, with a reason.

#include "scale/readiness_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "scale/child_process.h"

namespace tidegate::scale {
namespace {

using upstream::parseStatusLine;

using namespace std::chrono_literals;
using asio::ip::tcp;

constexpr uint16_t kEchoPort = 39190;

const tcp::endpoint kLoopback(asio::ip::make_address("127.0.0.1"), 0);

std::optional<ProbeResult> probeOnce(asio::io_context& io, const tcp::endpoint& endpoint,
                                     std::string_view path,
                                     std::chrono::milliseconds timeout = 2000ms) {
  std::optional<ProbeResult> result;
  startReadinessProbe(io, endpoint, path, timeout, [&](ProbeResult r) { result = r; });
  io.restart();
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!result && std::chrono::steady_clock::now() < until)
    io.run_for(10ms);
  return result;
}

TEST(ParseStatusLine, AcceptsHttp1StatusLinesOnly) {
  EXPECT_EQ(parseStatusLine("HTTP/1.1 200 OK\r"), 200);
  EXPECT_EQ(parseStatusLine("HTTP/1.0 204"), 204);
  EXPECT_EQ(parseStatusLine("HTTP/1.1 503 Service Unavailable"), 503);
  EXPECT_EQ(parseStatusLine("HTTP/2 200 OK"), 0);
  EXPECT_EQ(parseStatusLine("HTTP/1.1 20 OK"), 0);
  EXPECT_EQ(parseStatusLine("HTTP/1.1 2000 OK"), 0);
  EXPECT_EQ(parseStatusLine("HTTP/1.1 099 x"), 0);
  EXPECT_EQ(parseStatusLine("hello"), 0);
}

class ReadinessProbeEchoTest : public testing::Test {
 protected:
  void SetUp() override {
    log_ = std::filesystem::path(testing::TempDir()) /
           ("tidegate-probe-" + std::to_string(::getpid()) + ".log");
    auto child = ChildProcess::spawn(
        {fmt::format("exec '{}' --port {}", TIDEGATE_ECHO_BIN, kEchoPort), log_.string()});
    ASSERT_TRUE(child.ok()) << child.error().message();
    echo_.emplace(std::move(child).value());
    endpoint_ = tcp::endpoint(asio::ip::make_address("127.0.0.1"), kEchoPort);
    // Up once /healthz answers; bounded.
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      auto result = probeOnce(io_, endpoint_, "/healthz", 500ms);
      if (result && result->ready) return;
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "tidegate-echo did not come up on port " << kEchoPort;
  }
  void TearDown() override {
    echo_.reset();  // SIGKILL by pid (group) and reap
    std::filesystem::remove(log_);
  }

  asio::io_context io_;
  std::optional<ChildProcess> echo_;
  std::filesystem::path log_;
  tcp::endpoint endpoint_;
};

TEST_F(ReadinessProbeEchoTest, TwoHundredIsReady) {
  auto result = probeOnce(io_, endpoint_, "/healthz");
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ready);
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->detail, "HTTP 200");
}

TEST_F(ReadinessProbeEchoTest, ErrorStatusIsNotReady) {
  auto result = probeOnce(io_, endpoint_, "/status/503");
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->status, 503);
  EXPECT_EQ(result->detail, "HTTP 503");
}

TEST(ReadinessProbe, RefusedConnectionIsNotReady) {
  asio::io_context io;
  tcp::endpoint closed;
  {
    tcp::acceptor acceptor(io, kLoopback);  // a port nobody listens on once this closes
    closed = acceptor.local_endpoint();
  }
  auto result = probeOnce(io, closed, "/healthz");
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->status, 0);
  EXPECT_FALSE(result->detail.empty());
}

TEST(ReadinessProbe, SilenceTimesOut) {
  asio::io_context io;
  tcp::acceptor acceptor(io, kLoopback);  // the kernel completes handshakes; nobody answers
  auto result = probeOnce(io, acceptor.local_endpoint(), "/healthz", 200ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->detail, "timed out after 200 ms");
}

TEST(ReadinessProbe, GarbageIsNotReady) {
  asio::io_context io;
  tcp::acceptor acceptor(io, kLoopback);
  tcp::socket peer(io);
  acceptor.async_accept(peer, [&](std::error_code ec) {
    if (!ec) asio::write(peer, asio::buffer(std::string_view("SSH-2.0-nope\r\n")));
  });
  auto result = probeOnce(io, acceptor.local_endpoint(), "/healthz");
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->detail, "malformed HTTP status line");
}

TEST(ReadinessProbe, AStatusLineOver1024BytesIsNotReady) {
  asio::io_context io;
  tcp::acceptor acceptor(io, kLoopback);
  tcp::socket peer(io);
  const std::string line = "HTTP/1.1 200 " + std::string(2000, 'x') + "\r\n\r\n";
  acceptor.async_accept(peer, [&](std::error_code ec) {
    if (!ec) asio::write(peer, asio::buffer(line));
  });
  auto result = probeOnce(io, acceptor.local_endpoint(), "/healthz");
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->detail, "no HTTP status line in the response");
}

TEST(ReadinessProbe, CloseWithoutAnswerIsNotReady) {
  asio::io_context io;
  tcp::acceptor acceptor(io, kLoopback);
  tcp::socket peer(io);
  acceptor.async_accept(peer, [&](std::error_code ec) {
    if (!ec) peer.close();
  });
  auto result = probeOnce(io, acceptor.local_endpoint(), "/healthz");
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ready);
  EXPECT_EQ(result->detail.rfind("closed before answering", 0), 0u) << result->detail;
}

TEST(ReadinessProbe, CancelledProbeNeverCallsBack) {
  asio::io_context io;
  tcp::acceptor acceptor(io, kLoopback);
  bool called = false;
  auto probe = startReadinessProbe(io, acceptor.local_endpoint(), "/healthz", 100ms,
                                   [&](ProbeResult) { called = true; });
  io.run_for(20ms);
  probe->cancel();
  io.restart();
  io.run_for(300ms);  // past its timeout
  EXPECT_FALSE(called);
  EXPECT_TRUE(io.stopped()) << "nothing left pending after a cancel";
}

}  // namespace
}  // namespace tidegate::scale
