#include "core/buffer.h"

#include <gtest/gtest.h>

#include "core/local_ref.h"

namespace tidegate {
namespace {

TEST(BufferTest, CommitConsumeCompact) {
  BufferPool pool(64);
  Buffer b;
  pool.acquire(b);
  ASSERT_TRUE(b.attached());
  EXPECT_EQ(b.writable(), 64u);
  ASSERT_TRUE(b.append("hello world"));
  b.consume(6);
  EXPECT_EQ(b.view(), "world");
  EXPECT_EQ(b.writable(), 64u - 11);
  b.compact();
  EXPECT_EQ(b.view(), "world");
  EXPECT_EQ(b.writable(), 64u - 5);
  b.consume(5);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.writable(), 64u);  // fully consumed: positions reset
  pool.release(b);
  EXPECT_FALSE(b.attached());
}

TEST(BufferTest, AppendRefusesOverflow) {
  BufferPool pool(8);
  Buffer b;
  pool.acquire(b);
  EXPECT_TRUE(b.append("12345678"));
  EXPECT_FALSE(b.append("9"));
  EXPECT_EQ(b.size(), 8u);
  pool.release(b);
}

TEST(BufferPoolTest, ReusesReleasedBlocks) {
  BufferPool pool(128, 2);
  Buffer a, b;
  pool.acquire(a);
  char* first = a.block();
  pool.release(a);
  pool.acquire(b);
  EXPECT_EQ(b.block(), first);
  pool.release(b);
}

struct Counted {
  int local_refs = 0;
  static inline int destroyed = 0;
  ~Counted() { ++destroyed; }
};

TEST(LocalRefTest, DeletesWithLastReference) {
  Counted::destroyed = 0;
  LocalRef<Counted> a(new Counted);
  {
    LocalRef<Counted> b = a;
    EXPECT_EQ(a->local_refs, 2);
  }
  EXPECT_EQ(a->local_refs, 1);
  EXPECT_EQ(Counted::destroyed, 0);
  LocalRef<Counted> c = std::move(a);
  EXPECT_FALSE(a);
  c.reset();
  EXPECT_EQ(Counted::destroyed, 1);
}

}  // namespace
}  // namespace tidegate
