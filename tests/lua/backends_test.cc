// balance(req, backends): live fields, the cached array, generations, stale and foreign objects.

#include <gtest/gtest.h>

#include "fake_contexts.h"
#include "lua/backend_cache.h"

namespace tidegate::lua {
namespace {

using testing::FakeBackend;
using testing::FakeBackendSet;
using testing::FakeRequest;

class BackendsTest : public ::testing::Test {
 protected:
  std::shared_ptr<const BackendSet> makeSet(uint64_t generation, std::vector<FakeBackend*> bs) {
    return std::make_shared<FakeBackendSet>(&pool_, generation, std::move(bs));
  }

  int pool_ = 0;
  std::unique_ptr<LuaVm> vm_ = testing::makeVm();
  FakeRequest req_;
};

TEST_F(BackendsTest, EveryFieldReadsTheView) {
  FakeBackend a("10.0.0.1:8080", 5, 12.5);
  a.weight_ = 3;
  a.error_rate_ = 0.25;
  a.healthy_ = false;
  a.metrics_["load"] = 0.75;
  auto set = makeSet(1, {&a});
  auto script = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends)
      local b = backends[1]
      assert(#backends == 1)
      assert(b.id == '10.0.0.1:8080', 'id')
      assert(b.address == '10.0.0.1:8080', 'address')
      assert(b.weight == 3, 'weight')
      assert(b.inflight == 5, 'inflight')
      assert(b.ewma_ms == 12.5, 'ewma')
      assert(b.error_rate == 0.25, 'error_rate')
      assert(b.healthy == false, 'healthy')
      assert(b:metric('load') == 0.75, 'metric')
      assert(b:metric('nope') == nil, 'missing metric')
      assert(b.unknown == nil)
      assert(tostring(b) == 'backend 10.0.0.1:8080')
      assert(getmetatable(b) == 'tidegate.backend')
      return b
    end })");
  std::string error;
  EXPECT_EQ(runBalance(*script, req_, set, &error), 0) << error;
}

TEST_F(BackendsTest, LiveNumbersAreReadOnEveryAccess) {
  FakeBackend a("a", 1), b("b", 2);
  auto set = makeSet(1, {&a, &b});
  auto script = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends)
      if backends[1].inflight <= backends[2].inflight then return backends[1] end
      return backends[2]
    end })");
  EXPECT_EQ(runBalance(*script, req_, set), 0);
  a.inflight_ = 9;  // the same cached array, new numbers
  EXPECT_EQ(runBalance(*script, req_, set), 1);
  EXPECT_GE(a.reads_, 2);
}

TEST_F(BackendsTest, NilFallsBackAndNoHookFallsBack) {
  FakeBackend a("a");
  auto set = makeSet(1, {&a});
  auto none = testing::loadScript(*vm_, "return { balance = function() return nil end }");
  EXPECT_EQ(runBalance(*none, req_, set), kBalanceFallback);
  auto absent = testing::loadScript(*vm_, "return {}");
  EXPECT_EQ(runBalance(*absent, req_, set), kBalanceFallback);
}

TEST_F(BackendsTest, ArrayIsCachedUntilTheGenerationChanges) {
  FakeBackend a("a"), b("b"), c("c");
  auto script = testing::loadScript(*vm_, R"(
    local seen
    return { balance = function(req, backends)
      tg.var.same = (seen == backends)
      seen = backends
      return backends[#backends]
    end, same = function() return 1 end })");
  auto set1 = makeSet(1, {&a, &b});
  EXPECT_EQ(runBalance(*script, req_, set1), 1);
  const size_t rebuilds = vm_->backends().rebuilds();
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(runBalance(*script, req_, set1), 1);
  EXPECT_EQ(vm_->backends().rebuilds(), rebuilds);
  auto set2 = makeSet(2, {&a, &b, &c});  // membership changed
  EXPECT_EQ(runBalance(*script, req_, set2), 2);
  EXPECT_EQ(vm_->backends().rebuilds(), rebuilds + 1);
  finishRequest(*vm_, req_);
}

TEST_F(BackendsTest, StaleObjectsRaiseInsteadOfReadingFreedViews) {
  auto a = std::make_unique<FakeBackend>("a");
  auto script = testing::loadScript(*vm_, R"(
    local kept
    return { balance = function(req, backends)
      if kept then return kept end
      kept = backends[1]
      return kept
    end })",
                                    "stale.lua");
  auto set1 = makeSet(1, {a.get()});
  EXPECT_EQ(runBalance(*script, req_, set1), 0);
  FakeBackend b("b");
  auto set2 = makeSet(2, {&b});
  set1.reset();
  a.reset();  // the proxy may free the old views once it publishes a new set
  std::string error;
  EXPECT_EQ(runBalance(*script, req_, set2, &error), kBalanceFailed);
  EXPECT_EQ(error,
            "stale.lua: balance must return one of the backends it was given, or nil (it "
            "returned a userdata)");
  auto reader = testing::loadScript(*vm_, R"(
    local kept
    return { balance = function(req, backends)
      if kept then return kept.inflight end
      kept = backends[1]
    end })",
                                    "stale2.lua");
  EXPECT_EQ(runBalance(*reader, req_, set2), kBalanceFallback);
  FakeBackend c("c");
  auto set3 = makeSet(3, {&c});
  EXPECT_EQ(runBalance(*reader, req_, set3, &error), kBalanceFailed);
  EXPECT_NE(error.find("stale backend object"), std::string::npos) << error;
}

TEST_F(BackendsTest, ReturningSomethingElseFails) {
  FakeBackend a("a");
  auto set = makeSet(1, {&a});
  auto script =
      testing::loadScript(*vm_, "return { balance = function() return 1 end }", "num.lua");
  std::string error;
  EXPECT_EQ(runBalance(*script, req_, set, &error), kBalanceFailed);
  EXPECT_EQ(error,
            "num.lua: balance must return one of the backends it was given, or nil (it returned "
            "a number)");
  EXPECT_EQ(script->counters().errors.load(), 1u);
}

TEST_F(BackendsTest, AnotherPoolsBackendIsRefused) {
  FakeBackend a("a"), b("b");
  int other_pool = 0;
  auto mine = makeSet(1, {&a});
  auto theirs = std::make_shared<FakeBackendSet>(&other_pool, 1, std::vector<FakeBackend*>{&b});
  auto script = testing::loadScript(*vm_, R"(
    local other
    return { balance = function(req, backends)
      if not other then other = backends[1] return nil end
      return other
    end })");
  EXPECT_EQ(runBalance(*script, req_, theirs), kBalanceFallback);
  EXPECT_EQ(runBalance(*script, req_, mine), kBalanceFailed);
}

TEST_F(BackendsTest, ASortedOrEditedArrayIsRepairedForTheNextCall) {
  FakeBackend a("a", 3), b("b", 1), c("c", 2);
  auto set = makeSet(1, {&a, &b, &c});
  auto sorter = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends)
      table.sort(backends, function(x, y) return x.inflight < y.inflight end)
      local best = backends[1]
      backends[5] = 'junk'
      return best
    end })");
  EXPECT_EQ(runBalance(*sorter, req_, set), 1);
  auto checker = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends)
      assert(#backends == 3, 'length ' .. #backends)
      assert(backends[1].id == 'a' and backends[2].id == 'b' and backends[3].id == 'c', 'order')
      return backends[3]
    end })");
  std::string error;
  EXPECT_EQ(runBalance(*checker, req_, set, &error), 2) << error;
  auto remover = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends) backends[2] = nil return nil end })");
  EXPECT_EQ(runBalance(*remover, req_, set), kBalanceFallback);
  EXPECT_EQ(runBalance(*checker, req_, set, &error), 2) << error;
}

TEST_F(BackendsTest, EmptyPool) {
  auto set = makeSet(1, {});
  auto script = testing::loadScript(*vm_, R"(
    return { balance = function(req, backends) assert(#backends == 0) return backends[1] end })");
  EXPECT_EQ(runBalance(*script, req_, set), kBalanceFallback);
}

TEST_F(BackendsTest, RuntimeErrorInBalanceFails) {
  FakeBackend a("a");
  auto set = makeSet(1, {&a});
  auto script = testing::loadScript(*vm_,
                                    "return { balance = function(req, backends)\n"
                                    "  return backends[1].nope.deeper\nend }",
                                    "bal.lua");
  std::string error;
  EXPECT_EQ(runBalance(*script, req_, set, &error), kBalanceFailed);
  EXPECT_EQ(error, "bal.lua:2: attempt to index field 'nope' (a nil value)");
}

}  // namespace
}  // namespace tidegate::lua
