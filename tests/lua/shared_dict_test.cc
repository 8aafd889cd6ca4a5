// SharedDict (C++) and tg.shared (Lua): values, TTL with an injected clock, LRU eviction under
// the memory bound, atomic incr from many threads.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "fake_contexts.h"
#include "lua/shared_dict.h"

namespace tidegate::lua {
namespace {

using Status = SharedDict::Status;
using Type = SharedDict::Type;

SharedDict::ValueRef str(std::string_view s) {
  SharedDict::ValueRef v;
  v.type = Type::kString;
  v.string = s;
  return v;
}
SharedDict::ValueRef num(double n) {
  SharedDict::ValueRef v;
  v.type = Type::kNumber;
  v.number = n;
  return v;
}

class SharedDictTest : public ::testing::Test {
 protected:
  int64_t now_ms_ = 1'000'000;
  SharedDicts dicts_{[this] { return now_ms_; }};
};

TEST_F(SharedDictTest, SetGetDelete) {
  SharedDict& d = dicts_.add("d", 1 << 20, 4);
  SharedDict::Value v;
  EXPECT_EQ(d.get("k", v), Status::kNotFound);
  EXPECT_EQ(d.set("k", str("hello"), 0), Status::kOk);
  ASSERT_EQ(d.get("k", v), Status::kOk);
  EXPECT_EQ(v.type, Type::kString);
  EXPECT_EQ(v.string, "hello");
  EXPECT_EQ(d.set("k", num(3), 0), Status::kOk);
  ASSERT_EQ(d.get("k", v), Status::kOk);
  EXPECT_EQ(v.type, Type::kNumber);
  EXPECT_EQ(v.number, 3);
  d.remove("k");
  EXPECT_EQ(d.get("k", v), Status::kNotFound);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.bytesUsed(), 0u);
}

TEST_F(SharedDictTest, TtlExpiresWithTheClock) {
  SharedDict& d = dicts_.add("d", 1 << 20);
  SharedDict::Value v;
  ASSERT_EQ(d.set("short", str("x"), 1.5), Status::kOk);
  ASSERT_EQ(d.set("forever", str("y"), 0), Status::kOk);
  now_ms_ += 1499;
  EXPECT_EQ(d.get("short", v), Status::kOk);
  now_ms_ += 1;
  EXPECT_EQ(d.get("short", v), Status::kNotFound);
  EXPECT_EQ(d.get("forever", v), Status::kOk);
  // add() treats an expired key as absent; incr() recreates it from init.
  ASSERT_EQ(d.set("k", num(5), 1), Status::kOk);
  EXPECT_EQ(d.add("k", num(1), 0), Status::kExists);
  now_ms_ += 1000;
  EXPECT_EQ(d.add("k", num(1), 0), Status::kOk);
  double out = 0;
  const double zero = 0;
  ASSERT_EQ(d.incr("w", 1, out, &zero, 10), Status::kOk);
  ASSERT_EQ(d.incr("w", 1, out, &zero, 10), Status::kOk);
  EXPECT_EQ(out, 2);
  now_ms_ += 10'000;  // the window's TTL (set at creation) ends
  ASSERT_EQ(d.incr("w", 1, out, &zero, 10), Status::kOk);
  EXPECT_EQ(out, 1);
}

TEST_F(SharedDictTest, IncrRules) {
  SharedDict& d = dicts_.add("d", 1 << 20);
  double out = 0;
  EXPECT_EQ(d.incr("n", 1, out), Status::kNotFound);
  const double ten = 10;
  EXPECT_EQ(d.incr("n", 5, out, &ten), Status::kOk);
  EXPECT_EQ(out, 15);
  EXPECT_EQ(d.incr("n", -20, out), Status::kOk);
  EXPECT_EQ(out, -5);
  ASSERT_EQ(d.set("s", str("x"), 0), Status::kOk);
  EXPECT_EQ(d.incr("s", 1, out, &ten), Status::kNotANumber);
}

TEST_F(SharedDictTest, LruEvictionKeepsTheDictUnderItsBound) {
  // One shard, room for about ten 100-byte entries.
  const size_t entry = SharedDict::kEntryOverhead + 2 + 100;
  SharedDict& d = dicts_.add("d", entry * 10, 1);
  const std::string value(100, 'v');
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(d.set("k" + std::to_string(i), str(value), 0), Status::kOk);
  }
  EXPECT_EQ(d.size(), 10u);
  SharedDict::Value v;
  ASSERT_EQ(d.get("k0", v), Status::kOk);  // k0 becomes the most recent; k1 is now the oldest
  ASSERT_EQ(d.set("kA", str(value), 0), Status::kOk);
  EXPECT_EQ(d.size(), 10u);
  EXPECT_LE(d.bytesUsed(), d.capacity());
  EXPECT_EQ(d.get("k1", v), Status::kNotFound);
  EXPECT_EQ(d.get("k0", v), Status::kOk);
  EXPECT_EQ(d.get("kA", v), Status::kOk);
  EXPECT_EQ(d.evictions(), 1u);
  // A bigger value evicts as many as it needs.
  ASSERT_EQ(d.set("big", str(std::string(500, 'b')), 0), Status::kOk);
  EXPECT_LE(d.bytesUsed(), d.capacity());
  EXPECT_EQ(d.get("big", v), Status::kOk);
  // An entry larger than the whole shard is refused, and nothing is evicted for it.
  const size_t before = d.size();
  EXPECT_EQ(d.set("huge", str(std::string(entry * 11, 'h')), 0), Status::kTooLarge);
  EXPECT_EQ(d.size(), before);
}

TEST_F(SharedDictTest, BoundHoldsUnderManyKeys) {
  SharedDict& d = dicts_.add("d", 64 * 1024, 8);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(d.set("key:" + std::to_string(i), str(std::string(i % 300, 'x')), 0), Status::kOk);
    ASSERT_LE(d.bytesUsed(), d.capacity());
  }
  EXPECT_GT(d.evictions(), 0u);
  SharedDict::Value v;
  EXPECT_EQ(d.get("key:9999", v), Status::kOk);  // the newest survives
}

TEST_F(SharedDictTest, ConcurrentIncrSumsExactly) {
  SharedDict& d = dicts_.add("d", 1 << 20, 8);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&d, t] {
      const double zero = 0;
      double out = 0;
      char key[16];
      for (int i = 0; i < kPerThread; ++i) {
        (void)d.incr("shared", 1, out, &zero, 0);
        std::snprintf(key, sizeof key, "k%d", i % 64);  // not "k" + to_string: GCC 12 -Wrestrict
        (void)d.incr(key, 1, out, &zero, 0);
        if (i % 16 == t) d.remove("scratch");
      }
    });
  }
  for (auto& t : threads)
    t.join();
  SharedDict::Value v;
  ASSERT_EQ(d.get("shared", v), Status::kOk);
  EXPECT_EQ(v.number, kThreads * kPerThread);
  double sum = 0;
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(d.get("k" + std::to_string(i), v), Status::kOk);
    sum += v.number;
  }
  EXPECT_EQ(sum, kThreads * kPerThread);
}

TEST_F(SharedDictTest, ConcurrentIncrFromLuaVmsSumsExactly) {
  dicts_.add("counters", 1 << 20);
  constexpr int kThreads = 4;
  constexpr int kCalls = 2000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      VmOptions options;
      options.shared_dicts = &dicts_;
      auto vm = LuaVm::create(options);  // one VM per thread, as on workers
      if (!vm) {
        ++failures;
        return;
      }
      auto script = Script::load(**vm, ScriptSource::fromString("c.lua", R"(
        local d = tg.shared.counters
        return { on_request = function() d:incr('hits', 1, 0) end })"));
      if (!script) {
        ++failures;
        return;
      }
      testing::FakeRequest req;
      for (int i = 0; i < kCalls; ++i) {
        if (runOnRequest(**script, req).action != HookAction::kContinue) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  SharedDict::Value v;
  ASSERT_EQ(dicts_.find("counters")->get("hits", v), Status::kOk);
  EXPECT_EQ(v.number, kThreads * kCalls);
}

TEST_F(SharedDictTest, LuaBinding) {
  dicts_.add("cache", 1 << 20);
  VmOptions options;
  options.shared_dicts = &dicts_;
  auto vm = testing::makeVm(options);
  using testing::eval;
  EXPECT_EQ(eval(*vm, "return tg.shared.nope"), "nil");
  EXPECT_EQ(eval(*vm,
                 "local d = tg.shared.cache\n"
                 "assert(d:set('s', 'str'))\n"
                 "assert(d:set('n', 1.5))\n"
                 "assert(d:set('b', false))\n"
                 "assert(d:get('s') == 'str' and d:get('n') == 1.5 and d:get('b') == false)\n"
                 "assert(d:get('missing') == nil)\n"
                 "assert(d:set('s', nil)) assert(d:get('s') == nil)\n"
                 "assert(d:add('a', 1)) local ok, err = d:add('a', 2)\n"
                 "assert(ok == nil and err == 'exists')\n"
                 "local v, e = d:incr('nothing', 1) assert(v == nil and e == 'not found')\n"
                 "assert(d:incr('c', 2, 10) == 12) assert(d:incr('c', -2) == 10)\n"
                 "d:set('t', 'x') local v2, e2 = d:incr('t', 1)\n"
                 "assert(v2 == nil and e2 == 'not a number')\n"
                 "d:set(42, 'numeric key') assert(d:get('42') == 'numeric key')\n"
                 "d:delete('c') assert(d:get('c') == nil)\n"
                 "return 'ok'"),
            "ok");
  EXPECT_NE(eval(*vm, "tg.shared.cache:set('k', {})").find("booleans, numbers or strings"),
            std::string::npos);
  EXPECT_NE(eval(*vm, "tg.shared.cache:set('', 1)").find("must not be empty"), std::string::npos);
  EXPECT_NE(eval(*vm, "tg.shared.cache.get('k')").find("call it as dict:method"),
            std::string::npos);
  // Dict objects are shared by every script of the VM: no script may change their methods.
  EXPECT_NE(eval(*vm, "tg.shared.cache.get = nil").find("attempt to index"), std::string::npos);
  EXPECT_EQ(eval(*vm, "return getmetatable(tg.shared.cache)"), "tidegate.shared_dict");
  EXPECT_EQ(eval(*vm,
                 "local ok, err = tg.shared.cache:set('huge', string.rep('x', 2 * 1024 * "
                 "1024)) return err"),
            "no memory");
  EXPECT_EQ(eval(*vm, "tg.shared.cache:flush_all() return tg.shared.cache:get('n')"), "nil");
}

TEST_F(SharedDictTest, LuaTtlUsesTheDictClock) {
  dicts_.add("d", 1 << 20);
  VmOptions options;
  options.shared_dicts = &dicts_;
  auto vm = testing::makeVm(options);
  EXPECT_EQ(testing::eval(*vm, "tg.shared.d:set('k', 'v', 0.5) return tg.shared.d:get('k')"), "v");
  now_ms_ += 500;
  EXPECT_EQ(testing::eval(*vm, "return tg.shared.d:get('k')"), "nil");
}

TEST_F(SharedDictTest, VisibleAcrossVms) {
  dicts_.add("d", 1 << 20);
  VmOptions options;
  options.shared_dicts = &dicts_;
  auto a = testing::makeVm(options);
  auto b = testing::makeVm(options);
  EXPECT_EQ(testing::eval(*a, "tg.shared.d:set('from', 'a') return 1"), "1");
  EXPECT_EQ(testing::eval(*b, "return tg.shared.d:get('from')"), "a");
}

}  // namespace
}  // namespace tidegate::lua
