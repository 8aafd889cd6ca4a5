// AccessLog: every line parses as JSON with the fields put in, per-worker order is kept, a full
// ring drops without blocking, reopen follows a rename, destruction writes what is pending.

#include "metrics/access_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace tidegate::metrics {
namespace {

using namespace std::string_literals;
using nlohmann::json;

// A fresh directory per test, removed at the end.
class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "tidegate_access_log_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string file(const std::string& name = "access.log") const { return dir_ + "/" + name; }

  static std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
      out.push_back(line);
    return out;
  }
  static std::vector<json> records(const std::string& path) {
    std::vector<json> out;
    for (const std::string& line : lines(path))
      out.push_back(json::parse(line));
    return out;
  }

  std::string dir_;
};

AccessLogOptions options(std::chrono::milliseconds flush_interval) {
  AccessLogOptions o;
  o.flush_interval = flush_interval;
  return o;
}

AccessRecord sample(std::string_view request_id) {
  AccessRecord r;
  r.unix_ms = 951782400123;  // 2000-02-29T00:00:00.123Z
  r.route = "api";
  r.upstream = "app";
  r.backend = "127.0.0.1:9001";
  r.method = "GET";
  r.path = "/v1/items";
  r.query = "page=2";
  r.client_ip = "127.0.0.1";
  r.request_id = request_id;
  r.status = 200;
  r.bytes_in = 120;
  r.bytes_out = 3456;
  r.duration_ms = 1.25;
  r.upstream_connect_ms = 0.125;
  r.upstream_header_ms = 1.0;
  r.upstream_total_ms = 1.2;
  return r;
}

TEST_F(AccessLogTest, WritesEveryFieldAsJson) {
  {
    auto log = AccessLog::open(file(), 1, 64 * 1024);
    ASSERT_TRUE(log.ok()) << log.error().message();
    EXPECT_TRUE((*log)->writer(0).append(sample("req-1")));
  }
  const auto recs = records(file());
  ASSERT_EQ(recs.size(), 1u);
  const json& j = recs[0];
  EXPECT_EQ(j["time"], "2000-02-29T00:00:00.123Z");
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["client_ip"], "127.0.0.1");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/v1/items");
  EXPECT_EQ(j["query"], "page=2");
  EXPECT_EQ(j["route"], "api");
  EXPECT_EQ(j["upstream"], "app");
  EXPECT_EQ(j["backend"], "127.0.0.1:9001");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes_in"], 120);
  EXPECT_EQ(j["bytes_out"], 3456);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(j["upstream_connect_ms"].get<double>(), 0.125);
  EXPECT_DOUBLE_EQ(j["upstream_header_ms"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["upstream_total_ms"].get<double>(), 1.2);
}

TEST_F(AccessLogTest, AbsentDurationsAreOmitted) {
  {
    auto log = AccessLog::open(file(), 1, 4096);
    ASSERT_TRUE(log.ok());
    AccessRecord r = sample("no-backend");
    r.backend = "";
    r.status = 404;
    r.upstream_connect_ms = -1;
    r.upstream_header_ms = -1;
    r.upstream_total_ms = -1;
    ASSERT_TRUE((*log)->writer(0).append(r));
  }
  const auto recs = records(file());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["backend"], "");
  EXPECT_TRUE(recs[0].contains("duration_ms"));
  EXPECT_FALSE(recs[0].contains("upstream_connect_ms"));
  EXPECT_FALSE(recs[0].contains("upstream_header_ms"));
  EXPECT_FALSE(recs[0].contains("upstream_total_ms"));
}

TEST_F(AccessLogTest, TimestampsAreRfc3339Utc) {
  const std::pair<int64_t, const char*> cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1795823999999, "2026-11-27T23:59:59.999Z"},
      {-1, "1969-12-31T23:59:59.999Z"},
  };
  {
    auto log = AccessLog::open(file(), 1, 4096);
    ASSERT_TRUE(log.ok());
    for (const auto& [ms, text] : cases) {
      AccessRecord r = sample(text);
      r.unix_ms = ms;
      ASSERT_TRUE((*log)->writer(0).append(r));
    }
  }
  const auto recs = records(file());
  ASSERT_EQ(recs.size(), std::size(cases));
  for (size_t i = 0; i < recs.size(); ++i)
    EXPECT_EQ(recs[i]["time"], cases[i].second);
}

// The request line is the attacker's: whatever bytes it holds, the line must stay one valid
// JSON object of valid UTF-8, and readable text must survive unchanged.
TEST_F(AccessLogTest, EscapingRoundTripsThroughAJsonParser) {
  struct Case {
    std::string raw;
    std::string decoded;  // what a JSON parser must read back (UTF-8)
  };
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c)
    all_controls.push_back(static_cast<char>(c));
  const Case cases[] = {
      {"plain /path?x=1", "plain /path?x=1"},
      {R"(quote " and backslash \ and slash /)", R"(quote " and backslash \ and slash /)"},
      {all_controls, all_controls},
      {"del\x7f", "del\x7f"},
      {"nul\0inside"s, "nul\0inside"s},
      {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"},
      // Invalid bytes become U+00XX (the byte read as Latin-1), each on its own.
      {"bad\xff", "bad\xc3\xbf"},
      {"lone\x80", "lone\xc2\x80"},
      {"overlong\xc0\xaf", "overlong\xc3\x80\xc2\xaf"},
      {"cut\xe6\x97", "cut\xc3\xa6\xc2\x97"},
      {"surrogate\xed\xa0\x80", "surrogate\xc3\xad\xc2\xa0\xc2\x80"},
      {"too-big\xf4\x90\x80\x80", "too-big\xc3\xb4\xc2\x90\xc2\x80\xc2\x80"},
      {"", ""},
  };
  {
    auto log = AccessLog::open(file(), 1, 64 * 1024);
    ASSERT_TRUE(log.ok());
    for (const Case& c : cases) {
      AccessRecord r = sample("esc");
      r.path = c.raw;
      r.query = c.raw;
      r.method = c.raw;
      r.request_id = c.raw;
      ASSERT_TRUE((*log)->writer(0).append(r));
    }
  }
  const auto raw_lines = lines(file());
  ASSERT_EQ(raw_lines.size(), std::size(cases));
  for (size_t i = 0; i < raw_lines.size(); ++i) {
    SCOPED_TRACE(i);
    json j;
    ASSERT_NO_THROW(j = json::parse(raw_lines[i]));  // nlohmann rejects invalid UTF-8
    EXPECT_EQ(j["path"].get<std::string>(), cases[i].decoded);
    EXPECT_EQ(j["query"].get<std::string>(), cases[i].decoded);
    EXPECT_EQ(j["method"].get<std::string>(), cases[i].decoded);
    EXPECT_EQ(j["request_id"].get<std::string>(), cases[i].decoded);
  }
}

// Several workers at once, each retrying when its ring is momentarily full: every record
// arrives exactly once and each worker's records keep their order.
TEST_F(AccessLogTest, KeepsOrderPerWorkerAcrossWorkers) {
  constexpr int kWorkers = 4;
  constexpr int kPerWorker = 3000;
  {
    auto log = AccessLog::open(file(), kWorkers, 16 * 1024, options(std::chrono::milliseconds(1)));
    ASSERT_TRUE(log.ok());
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back([&log, w] {
        AccessLog::Writer& writer = (*log)->writer(w);
        for (int i = 0; i < kPerWorker; ++i) {
          const std::string id = std::to_string(w) + "-" + std::to_string(i);
          AccessRecord r = sample(id);
          r.status = w;
          r.bytes_in = static_cast<uint64_t>(i);
          // Bounded: the writer thread drains every millisecond.
          for (int tries = 0; !writer.append(r) && tries < 100000; ++tries) {
            std::this_thread::yield();
          }
        }
      });
    }
    for (auto& t : threads)
      t.join();
  }
  const auto recs = records(file());
  ASSERT_EQ(recs.size(), static_cast<size_t>(kWorkers * kPerWorker));
  std::vector<int> next(kWorkers, 0);
  for (const json& j : recs) {
    const int w = j["status"];
    ASSERT_GE(w, 0);
    ASSERT_LT(w, kWorkers);
    ASSERT_EQ(j["bytes_in"].get<int>(), next[w]) << "worker " << w << " out of order";
    EXPECT_EQ(j["request_id"], std::to_string(w) + "-" + std::to_string(next[w]));
    ++next[w];
  }
  for (int w = 0; w < kWorkers; ++w)
    EXPECT_EQ(next[w], kPerWorker);
}

// A writer that cannot write (a stalled disk, here a gate the test holds shut): appends keep
// returning at once, refusing and counting records when the ring is full.
TEST_F(AccessLogTest, DropsWhenFullWithoutBlocking) {
  std::mutex m;
  std::condition_variable cv;
  bool gate_open = false;
  AccessLogOptions slow = options(std::chrono::milliseconds(1));
  slow.before_write = [&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return gate_open; });
  };
  auto log = AccessLog::open(file(), 2, 4096, std::move(slow));
  ASSERT_TRUE(log.ok());
  AccessLog::Writer& writer = (*log)->writer(0);
  int accepted = 0;
  for (int i = 0; i < 1000 && writer.append(sample(std::to_string(i))); ++i)
    ++accepted;
  ASSERT_GT(accepted, 0);
  ASSERT_LT(accepted, 1000);  // 4 KiB cannot hold 1000 lines
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(writer.append(sample("late")));
  EXPECT_EQ((*log)->dropped(), 11u);
  // The other worker's ring is its own: not full.
  EXPECT_TRUE((*log)->writer(1).append(sample("other")));
  {
    std::lock_guard lock(m);
    gate_open = true;
  }
  cv.notify_all();
  log->reset();

  const auto recs = records(file());
  ASSERT_EQ(recs.size(), static_cast<size_t>(accepted + 1));
  int seen = 0;
  for (const json& j : recs) {
    if (j["request_id"] == "other") continue;
    EXPECT_EQ(j["request_id"], std::to_string(seen++));
  }
  EXPECT_EQ(seen, accepted);
}

TEST_F(AccessLogTest, ARecordLargerThanTheRingIsDroppedNotStuck) {
  auto log = AccessLog::open(file(), 1, 4096);
  ASSERT_TRUE(log.ok());
  const std::string huge(10000, 'x');
  AccessRecord r = sample("huge");
  r.path = huge;
  EXPECT_FALSE((*log)->writer(0).append(r));
  EXPECT_TRUE((*log)->writer(0).append(sample("small")));
  (*log)->flush();
  EXPECT_EQ((*log)->dropped(), 1u);
  const auto recs = records(file());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["request_id"], "small");
}

// logrotate renames the file, then the gateway reopens the path on SIGHUP.
TEST_F(AccessLogTest, ReopenAfterRenameWritesToTheNewFile) {
  auto log = AccessLog::open(file(), 1, 64 * 1024);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->writer(0).append(sample("before")));
  (*log)->flush();
  ASSERT_EQ(std::rename(file().c_str(), file("access.log.1").c_str()), 0);
  ASSERT_TRUE((*log)->reopen().ok());
  ASSERT_TRUE((*log)->writer(0).append(sample("after")));
  (*log)->flush();

  const auto old_recs = records(file("access.log.1"));
  ASSERT_EQ(old_recs.size(), 1u);
  EXPECT_EQ(old_recs[0]["request_id"], "before");
  const auto new_recs = records(file());
  ASSERT_EQ(new_recs.size(), 1u);
  EXPECT_EQ(new_recs[0]["request_id"], "after");
}

TEST_F(AccessLogTest, ReopenFailureKeepsTheOldFile) {
  auto log = AccessLog::open(file(), 1, 4096);
  ASSERT_TRUE(log.ok());
  // Make the path unopenable: a directory where the file was.
  ASSERT_EQ(std::rename(file().c_str(), file("moved.log").c_str()), 0);
  ASSERT_EQ(::mkdir(file().c_str(), 0700), 0);
  auto reopened = (*log)->reopen();
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message().find(file()), std::string::npos);
  ASSERT_TRUE((*log)->writer(0).append(sample("still")));
  (*log)->flush();
  const auto recs = records(file("moved.log"));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]["request_id"], "still");
}

// A flush interval far longer than the test: only destruction can have written the lines.
TEST_F(AccessLogTest, DestructionWritesEverythingPending) {
  {
    auto log = AccessLog::open(file(), 2, 1 << 20, options(std::chrono::hours(1)));
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*log)->writer(i % 2).append(sample(std::to_string(i))));
    }
  }
  EXPECT_EQ(records(file()).size(), 100u);
}

TEST_F(AccessLogTest, OpenErrorNamesThePath) {
  auto log = AccessLog::open(dir_ + "/missing/dir/access.log", 1, 4096);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().message().find("missing/dir/access.log"), std::string::npos);
  EXPECT_FALSE(AccessLog::open(file(), 0, 4096).ok());
}

}  // namespace
}  // namespace tidegate::metrics
