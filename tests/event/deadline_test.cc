#include "event/deadline.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include "core/clock.h"

namespace tidegate::event {
namespace {

// A connected socket pair on loopback, so that a read can be left pending.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : a(io), b(io) {
    asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
    a.connect(acc.local_endpoint());
    acc.accept(b);
  }
  asio::ip::tcp::socket a, b;
};

TEST(DeadlineTest, ExpiredDeadlineCancelsPendingRead) {
  asio::io_context io;
  DeadlineSweeper sweeper(io);
  sweeper.start();
  SocketPair s(io);
  Deadline d(sweeper);
  d.arm(s.a, coarseNowMs() + 50);
  EXPECT_EQ(sweeper.armedCount(), 1u);

  std::error_code result;
  bool done = false;
  char byte;
  s.a.async_read_some(asio::buffer(&byte, 1), [&](std::error_code ec, size_t) {
    result = ec;
    done = true;
    sweeper.stop();
  });
  io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(done);
  EXPECT_EQ(result, asio::error::operation_aborted);
  EXPECT_TRUE(d.expired());
  EXPECT_FALSE(d.armed());
  EXPECT_EQ(sweeper.armedCount(), 0u);
}

TEST(DeadlineTest, DisarmedDeadlineLeavesReadAlone) {
  asio::io_context io;
  DeadlineSweeper sweeper(io);
  sweeper.start();
  SocketPair s(io);
  Deadline d(sweeper);
  d.arm(s.a, coarseNowMs() + 50);
  d.disarm();

  bool done = false;
  char byte;
  s.a.async_read_some(asio::buffer(&byte, 1), [&](std::error_code ec, size_t n) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(n, 1u);
    done = true;
    sweeper.stop();
  });
  // Write only after several sweeps have passed the (disarmed) deadline.
  asio::steady_timer later(io, std::chrono::milliseconds(350));
  later.async_wait([&](std::error_code) { asio::write(s.b, asio::buffer("x", 1)); });
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(done);
  EXPECT_FALSE(d.expired());
}

TEST(DeadlineTest, SweeperDestroyedFirstDetachesArmedDeadlines) {
  asio::io_context io;
  SocketPair s(io);
  auto sweeper = std::make_unique<DeadlineSweeper>(io);
  Deadline d(*sweeper);
  d.arm(s.a, coarseNowMs() + 100000);
  sweeper.reset();
  EXPECT_FALSE(d.armed());  // and ~Deadline must not touch the dead sweeper
}

}  // namespace
}  // namespace tidegate::event
