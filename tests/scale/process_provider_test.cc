// ProcessProvider with real tidegate-echo children and a fake pool membership: readiness
// gating, scale-down by load with drains, stop escalation, crash restarts, logs, shutdown,
// and that no child outlives the provider or the process that owns it.

#include "scale/process_provider.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace tidegate::scale {
namespace {

using namespace std::chrono_literals;

const std::string kEcho = fmt::format("exec '{}' --port {{port}}", TIDEGATE_ECHO_BIN);

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool processGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

// A blocking GET /healthz to "127.0.0.1:port": the oracle for "it answers".
bool healthzAnswers(const std::string& address) {
  uint16_t port = uint16_t(std::stoi(address.substr(address.rfind(':') + 1)));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval two_seconds{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof(two_seconds));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof(two_seconds));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0) {
    std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size())) {
      char buffer[256];
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n > 0) response.assign(buffer, size_t(n));
    }
  }
  ::close(fd);
  return response.rfind("HTTP/1.1 200", 0) == 0;
}

class FakeMembership : public PoolMembership {
 public:
  struct Call {
    std::vector<std::string> addresses;
    std::vector<std::string> added_unhealthy;  // added while /healthz did not answer
  };

  void setBackends(std::string_view pool, std::vector<std::string> addresses) override {
    EXPECT_EQ(pool, "api");
    Call call{addresses, {}};
    for (const auto& address : addresses) {
      bool added = std::find(current.begin(), current.end(), address) == current.end();
      if (added && !healthzAnswers(address)) call.added_unhealthy.push_back(address);
    }
    calls.push_back(std::move(call));
    current = std::move(addresses);
  }
  int64_t inflight(std::string_view, std::string_view address) const override {
    auto it = inflight_by_address.find(std::string(address));
    return it == inflight_by_address.end() ? 0 : it->second;
  }
  void closeIdle(std::string_view, std::string_view address) override {
    closed_idle.emplace_back(address);
  }

  std::vector<Call> calls;
  std::vector<std::string> current;
  std::map<std::string, int64_t> inflight_by_address;
  std::vector<std::string> closed_idle;
};

// Each test its own small port range, so that tests run in parallel do not collide.
config::ProcessProviderConfig makeConfig(uint16_t first_port, std::string command) {
  config::ProcessProviderConfig config;
  config.command = std::move(command);
  config.port_min = first_port;
  config.port_max = uint16_t(first_port + 4);
  config.readiness_interval_ms = 50;
  config.readiness_timeout_ms = 1000;
  config.start_timeout_ms = 15000;
  config.drain_timeout_ms = 30000;
  config.stop_grace_ms = 5000;
  config.restart_backoff_min_ms = 100;
  config.restart_backoff_max_ms = 1000;
  return config;
}

class ProcessProviderTest : public testing::Test {
 protected:
  void SetUp() override {
    log_dir_ = (std::filesystem::path(testing::TempDir()) /
                fmt::format("tidegate-provider-{}-{}", ::getpid(),
                            testing::UnitTest::GetInstance()->current_test_info()->name()))
                   .string();
    std::filesystem::remove_all(log_dir_);
  }
  void TearDown() override {
    provider_.reset();  // SIGKILLs and reaps, by pid, whatever is still running
    std::filesystem::remove_all(log_dir_);
  }

  ProcessProvider& make(config::ProcessProviderConfig config) {
    config.log_dir = log_dir_;
    provider_ = std::make_unique<ProcessProvider>(io_, "api", std::move(config), membership_,
                                                  [this](ProviderEvent event) {
                                                    // What the pool held at the moment each event
                                                    // was announced.
                                                    pool_at_event_.push_back(membership_.current);
                                                    events_.push_back(std::move(event));
                                                  });
    return *provider_;
  }

  template <typename Predicate>
  bool runUntil(Predicate predicate, std::chrono::milliseconds limit = 20s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!predicate()) {
      if (std::chrono::steady_clock::now() > until) return false;
      io_.run_for(10ms);
      if (io_.stopped()) {
        io_.restart();
        std::this_thread::sleep_for(5ms);
      }
    }
    return true;
  }
  void runFor(std::chrono::milliseconds duration) {
    auto until = std::chrono::steady_clock::now() + duration;
    runUntil([&] { return std::chrono::steady_clock::now() > until; }, duration + 1s);
  }

  std::optional<InstanceInfo> instance(const std::string& id) const {
    for (auto& info : provider_->instances()) {
      if (info.id == id) return info;
    }
    return std::nullopt;
  }
  // Kinds of the events about `id`, in order.
  std::vector<std::string> kinds(const std::string& id) const {
    std::vector<std::string> out;
    for (auto& event : events_) {
      if (event.instance == id) out.push_back(event.kind);
    }
    return out;
  }
  const ProviderEvent* find(const std::string& kind, const std::string& id) const {
    for (auto& event : events_) {
      if (event.kind == kind && event.instance == id) return &event;
    }
    return nullptr;
  }
  std::string message(const std::string& kind, const std::string& id) const {
    const ProviderEvent* event = find(kind, id);
    return event ? event->message : "<no " + kind + " event>";
  }
  std::optional<InstanceState> stateOf(const std::string& id) const {
    auto info = instance(id);
    return info ? std::optional(info->state) : std::nullopt;
  }
  std::string address(const std::string& id) const {
    auto info = instance(id);
    return info ? info->address : "<no " + id + ">";
  }
  void expectNoUnhealthyAdds() const {
    for (auto& call : membership_.calls) {
      EXPECT_TRUE(call.added_unhealthy.empty())
          << "added before /healthz answered: " << call.added_unhealthy.front();
    }
  }

  asio::io_context io_;
  FakeMembership membership_;
  std::vector<ProviderEvent> events_;
  std::vector<std::vector<std::string>> pool_at_event_;
  std::string log_dir_;
  std::unique_ptr<ProcessProvider> provider_;
};

TEST(ExpandCommand, SubstitutesPortIndexAndHost) {
  EXPECT_EQ(
      expandCommand("srv --port {port} --id w{index} --host {host} {other}", 9101, 3, "127.0.0.1"),
      "srv --port 9101 --id w3 --host 127.0.0.1 {other}");
  EXPECT_EQ(expandCommand("{port}{port}", 1, 0, ""), "11");
}

TEST(PortAllocator, RoundRobinSkipsUsedAndBusyPorts) {
  PortAllocator ports(100, 103, [](uint16_t port) { return port != 101; });
  EXPECT_EQ(ports.capacity(), 4u);
  EXPECT_EQ(ports.acquire(), 100);
  EXPECT_EQ(ports.acquire(), 102) << "101 is busy";
  EXPECT_EQ(ports.acquire(), 103);
  EXPECT_EQ(ports.acquire(), std::nullopt) << "full";
  ports.release(100);
  EXPECT_EQ(ports.acquire(), 100);
  ports.release(102);
  ports.release(103);
  EXPECT_EQ(ports.acquire(), 102) << "the cursor moves on: the latest release comes last";
  EXPECT_EQ(PortAllocator(0, 0, nullptr).capacity(), 0u);
}

TEST_F(ProcessProviderTest, JoinsThePoolOnlyOnceReadinessPasses) {
  auto& provider = make(makeConfig(39100, "sleep 0.3; " + kEcho));
  ASSERT_TRUE(provider.scaleTo(1).ok());

  auto info = instance("api-0");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->state, InstanceState::kStarting);
  EXPECT_GT(info->pid, 0);
  EXPECT_EQ(provider.readyCount(), 0u);
  EXPECT_TRUE(membership_.calls.empty());

  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  EXPECT_EQ(stateOf("api-0"), InstanceState::kReady);
  ASSERT_EQ(membership_.calls.size(), 1u);
  EXPECT_EQ(membership_.current, std::vector<std::string>{address("api-0")});
  expectNoUnhealthyAdds();
  EXPECT_EQ(kinds("api-0"), (std::vector<std::string>{"start", "ready"}));
  EXPECT_EQ(provider.pids(), std::vector<int>{instance("api-0")->pid});
}

TEST_F(ProcessProviderTest, ScalesDownTheLeastLoadedThenTheNewest) {
  auto& provider = make(makeConfig(39105, kEcho));
  ASSERT_TRUE(provider.scaleTo(3).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 3; }));
  expectNoUnhealthyAdds();
  std::string a0 = address("api-0"), a1 = address("api-1"), a2 = address("api-2");

  // api-0 and api-2 are idle; api-2 is the newer: it goes.
  membership_.inflight_by_address = {{a0, 0}, {a1, 2}, {a2, 0}};
  ASSERT_TRUE(provider.scaleTo(2).ok());
  EXPECT_EQ(stateOf("api-2"), InstanceState::kDraining);
  EXPECT_EQ(membership_.current, (std::vector<std::string>{a0, a1}));
  ASSERT_TRUE(runUntil([&] { return !instance("api-2"); }));

  // Load beats age: api-0 is older than api-1 but idle.
  ASSERT_TRUE(provider.scaleTo(1).ok());
  EXPECT_EQ(stateOf("api-0"), InstanceState::kDraining);
  EXPECT_EQ(membership_.current, std::vector<std::string>{a1});
  ASSERT_TRUE(runUntil([&] { return !instance("api-0"); }));
  EXPECT_EQ(stateOf("api-1"), InstanceState::kReady);
  EXPECT_EQ(membership_.closed_idle, (std::vector<std::string>{a2, a0}));
  EXPECT_EQ(kinds("api-2"), (std::vector<std::string>{"start", "ready", "drain", "stop", "exit"}));
  EXPECT_EQ(message("exit", "api-2"), "exited with status 0") << "SIGTERM: a clean exit";
}

TEST_F(ProcessProviderTest, DrainWaitsForInflightRequestsBeforeSigterm) {
  auto& provider = make(makeConfig(39110, kEcho));
  ASSERT_TRUE(provider.scaleTo(2).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 2; }));
  std::string a0 = address("api-0"), a1 = address("api-1");
  int victim_pid = instance("api-1")->pid;

  membership_.inflight_by_address = {{a0, 3}, {a1, 1}};
  ASSERT_TRUE(provider.scaleTo(1).ok());
  EXPECT_EQ(membership_.current, std::vector<std::string>{a0}) << "out of balancing at once";
  EXPECT_EQ(membership_.closed_idle, std::vector<std::string>{a1});

  // Long past the settle time, with one request still running: nothing is stopped.
  runFor(600ms);
  EXPECT_EQ(stateOf("api-1"), InstanceState::kDraining);
  EXPECT_EQ(find("stop", "api-1"), nullptr);
  EXPECT_EQ(::kill(victim_pid, 0), 0) << "still running";

  membership_.inflight_by_address[a1] = 0;
  ASSERT_TRUE(runUntil([&] { return !instance("api-1"); }));
  EXPECT_EQ(kinds("api-1"), (std::vector<std::string>{"start", "ready", "drain", "stop", "exit"}));
  EXPECT_TRUE(processGone(victim_pid));
  EXPECT_EQ(provider.readyCount(), 1u);
}

TEST_F(ProcessProviderTest, DrainTimeoutStopsTheInstanceAnyway) {
  auto config = makeConfig(39115, kEcho);
  config.drain_timeout_ms = 300;
  auto& provider = make(config);
  ASSERT_TRUE(provider.scaleTo(1).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  membership_.inflight_by_address = {{address("api-0"), 5}};  // never finishes

  ASSERT_TRUE(provider.scaleTo(0).ok());
  ASSERT_TRUE(runUntil([&] { return provider.instances().empty(); }));
  EXPECT_EQ(kinds("api-0"),
            (std::vector<std::string>{"start", "ready", "drain", "drain_timeout", "stop", "exit"}));
  const ProviderEvent* timeout = find("drain_timeout", "api-0");
  ASSERT_NE(timeout, nullptr);
  EXPECT_TRUE(timeout->error);
  EXPECT_EQ(timeout->message, "5 requests still in flight after 300 ms");
  EXPECT_TRUE(membership_.current.empty());
}

TEST_F(ProcessProviderTest, AnInstanceIgnoringSigtermIsKilledAfterTheGrace) {
  // The shell ignores SIGTERM and keeps the group alive after the echo (which serves the
  // probe) has stopped: only SIGKILL ends it.
  auto config = makeConfig(39120, fmt::format("trap '' TERM; '{}' --port {{port}} & "
                                              "while :; do sleep 0.05; done",
                                              TIDEGATE_ECHO_BIN));
  config.stop_grace_ms = 300;
  auto& provider = make(config);
  ASSERT_TRUE(provider.scaleTo(1).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  int pid = instance("api-0")->pid;

  ASSERT_TRUE(provider.scaleTo(0).ok());
  ASSERT_TRUE(runUntil([&] { return provider.instances().empty(); }));
  EXPECT_EQ(kinds("api-0"),
            (std::vector<std::string>{"start", "ready", "drain", "stop", "kill", "exit"}));
  EXPECT_EQ(message("exit", "api-0"), "killed by signal 9 (KILL)");
  EXPECT_TRUE(processGone(pid));
}

TEST_F(ProcessProviderTest, ACrashedInstanceLeavesThePoolAndComesBack) {
  auto& provider = make(makeConfig(39125, kEcho));
  ASSERT_TRUE(provider.scaleTo(1).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  int first_pid = instance("api-0")->pid;

  ASSERT_EQ(::kill(first_pid, SIGKILL), 0);
  ASSERT_TRUE(runUntil([&] { return find("crash", "api-0") != nullptr; }));
  const ProviderEvent* crash = find("crash", "api-0");
  ASSERT_NE(crash, nullptr);
  EXPECT_TRUE(crash->error);
  EXPECT_NE(crash->message.find("killed by signal 9"), std::string::npos) << crash->message;
  size_t crash_at = size_t(crash - events_.data());
  EXPECT_TRUE(pool_at_event_[crash_at].empty()) << "removed before the crash is announced";

  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  auto info = instance("api-0");
  EXPECT_EQ(info->restarts, 1u);
  EXPECT_NE(info->pid, first_pid);
  EXPECT_EQ(kinds("api-0"),
            (std::vector<std::string>{"start", "ready", "crash", "restart", "ready"}));
  EXPECT_EQ(membership_.current, std::vector<std::string>{info->address});
  expectNoUnhealthyAdds();
}

TEST_F(ProcessProviderTest, RestartBackoffDoublesUpToTheMaximum) {
  auto config = makeConfig(39165, "echo failing; exit 1");
  config.restart_backoff_max_ms = 400;
  auto& provider = make(config);
  ASSERT_TRUE(provider.scaleTo(1).ok());
  auto crashes = [&] {
    std::vector<std::string> out;
    for (auto& event : events_) {
      if (event.kind == "crash") out.push_back(event.message);
    }
    return out;
  };
  ASSERT_TRUE(runUntil([&] { return crashes().size() >= 5; }));
  std::vector<std::string> delays;
  for (auto& message : crashes()) {
    EXPECT_NE(message.find("exited with status 1 while starting"), std::string::npos) << message;
    delays.push_back(message.substr(message.rfind("restarting in ")));
  }
  delays.resize(5);
  EXPECT_EQ(delays, (std::vector<std::string>{"restarting in 100 ms", "restarting in 200 ms",
                                              "restarting in 400 ms", "restarting in 400 ms",
                                              "restarting in 400 ms"}));
  EXPECT_TRUE(stateOf("api-0").has_value()) << "a failing slot is kept, not dropped";
  EXPECT_TRUE(membership_.calls.empty());
}

TEST_F(ProcessProviderTest, AnInstanceThatNeverGetsReadyIsRestarted) {
  auto config = makeConfig(39130, "exec sleep 30");  // never listens
  config.start_timeout_ms = 300;
  auto& provider = make(config);
  ASSERT_TRUE(provider.scaleTo(1).ok());
  ASSERT_TRUE(runUntil([&] { return find("restart", "api-0") != nullptr; }));
  const ProviderEvent* timeout = find("start_timeout", "api-0");
  ASSERT_NE(timeout, nullptr);
  EXPECT_TRUE(timeout->error);
  EXPECT_NE(timeout->message.find("last probe of /healthz"), std::string::npos) << timeout->message;
  EXPECT_TRUE(membership_.calls.empty());
  EXPECT_EQ(provider.readyCount(), 0u);
}

TEST_F(ProcessProviderTest, StartingInstancesAreRemovedBeforeServingOnes) {
  // api-0 never gets ready; api-1 does. api-1 is newer and idle, yet api-0 goes: it serves
  // nothing.
  auto& provider = make(
      makeConfig(39135, fmt::format("if [ {{index}} = 0 ]; then exec sleep 30; fi; {}", kEcho)));
  ASSERT_TRUE(provider.scaleTo(2).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
  EXPECT_EQ(stateOf("api-0"), InstanceState::kStarting);

  ASSERT_TRUE(provider.scaleTo(1).ok());
  ASSERT_TRUE(runUntil([&] { return !instance("api-0"); }));
  EXPECT_EQ(kinds("api-0"), (std::vector<std::string>{"start", "stop", "exit"}));
  EXPECT_EQ(stateOf("api-1"), InstanceState::kReady);
  EXPECT_EQ(find("drain", "api-1"), nullptr);
}

TEST_F(ProcessProviderTest, EachInstanceWritesItsOwnLogFile) {
  auto& provider = make(makeConfig(39140, "echo hello-from-{index}; " + kEcho));
  ASSERT_TRUE(provider.scaleTo(2).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 2; }));
  for (int index : {0, 1}) {
    std::string id = fmt::format("api-{}", index);
    std::string log = readFile(fmt::format("{}/{}.log", log_dir_, id));
    EXPECT_NE(log.find(fmt::format("hello-from-{}\n", index)), std::string::npos) << log;
    EXPECT_NE(log.find("listening on " + address(id)), std::string::npos) << log;
  }
}

TEST_F(ProcessProviderTest, ShutdownDrainsEverythingThenCallsDone) {
  auto& provider = make(makeConfig(39145, kEcho));
  ASSERT_TRUE(provider.scaleTo(2).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 2; }));
  std::vector<int> pids = provider.pids();
  ASSERT_EQ(pids.size(), 2u);

  bool done = false;
  size_t calls_before = membership_.calls.size();
  provider.shutdown([&] { done = true; });
  EXPECT_TRUE(membership_.current.empty());
  EXPECT_EQ(membership_.calls.size(), calls_before + 1) << "both leave in one snapshot";
  ASSERT_TRUE(runUntil([&] { return done; }));
  EXPECT_TRUE(provider.instances().empty());
  for (const char* id : {"api-0", "api-1"}) {
    EXPECT_EQ(kinds(id), (std::vector<std::string>{"start", "ready", "drain", "stop", "exit"}));
  }
  for (int pid : pids)
    EXPECT_TRUE(processGone(pid));
  EXPECT_FALSE(provider.scaleTo(1).ok()) << "no scaling after shutdown";
}

TEST_F(ProcessProviderTest, AskingForMoreThanThePortRangeIsAnError) {
  auto config = makeConfig(39150, kEcho);
  config.port_max = config.port_min;  // one port
  auto& provider = make(config);
  auto result = provider.scaleTo(2);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("holds only 1"), std::string::npos);
  EXPECT_EQ(provider.instances().size(), 1u) << "as many as fit are still run";
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 1; }));
}

TEST_F(ProcessProviderTest, DestructorLeavesNoChildBehind) {
  auto& provider = make(makeConfig(39155, kEcho));
  ASSERT_TRUE(provider.scaleTo(2).ok());
  ASSERT_TRUE(runUntil([&] { return provider.readyCount() == 2; }));
  std::vector<int> pids = provider.pids();
  ASSERT_EQ(pids.size(), 2u);
  provider_.reset();
  for (int pid : pids) {
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH) << "killed and reaped, not even a zombie";
  }
  EXPECT_TRUE(membership_.current.empty());
}

// The gateway dies abruptly (no destructor runs): its instances must die with it. A forked
// test process plays the gateway, starts one instance and _exits from the thread that forked.
// The test process makes itself a subreaper so that the orphaned instance is reparented to it
// and its end can be observed (and reaped) here rather than by whatever PID 1 is.
TEST(ProcessProviderOrphans, ChildrenDieWithTheirParent) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  std::string log_dir = (std::filesystem::path(testing::TempDir()) /
                         fmt::format("tidegate-provider-{}-orphans", ::getpid()))
                            .string();
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  pid_t gateway = ::fork();
  ASSERT_GE(gateway, 0);
  if (gateway == 0) {
    int pid = -1;
    struct NoMembership : PoolMembership {
      void setBackends(std::string_view, std::vector<std::string>) override {}
      int64_t inflight(std::string_view, std::string_view) const override { return 0; }
      void closeIdle(std::string_view, std::string_view) override {}
    } membership;
    asio::io_context io;
    auto config = makeConfig(39160, kEcho);
    config.log_dir = log_dir;
    auto* provider = new ProcessProvider(io, "api", config, membership, nullptr);
    if (provider->scaleTo(1).ok()) {
      auto until = std::chrono::steady_clock::now() + 10s;
      while (provider->readyCount() == 0 && std::chrono::steady_clock::now() < until) {
        io.run_for(10ms);
        if (io.stopped()) io.restart();
      }
      if (provider->readyCount() == 1) pid = provider->pids().front();
    }
    if (::write(pipe_fds[1], &pid, sizeof(pid)) != sizeof(pid)) ::_exit(2);
    ::_exit(0);  // abrupt: the provider (deliberately leaked) never gets to stop anything
  }
  ::close(pipe_fds[1]);
  int instance_pid = -1;
  ssize_t got = ::read(pipe_fds[0], &instance_pid, sizeof(instance_pid));
  ::close(pipe_fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(gateway, &status, 0), gateway);
  std::optional<int> instance_status;
  if (got == ssize_t(sizeof(int)) && instance_pid > 0) {
    auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(instance_pid, &status, WNOHANG) == instance_pid) {
        instance_status = status;
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    if (!instance_status) {  // never leave it behind, even when the test fails
      ::kill(instance_pid, SIGKILL);
      ::waitpid(instance_pid, &status, 0);
    }
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  std::filesystem::remove_all(log_dir);

  ASSERT_GT(instance_pid, 0) << "the instance never got ready in the forked gateway";
  ASSERT_TRUE(instance_status.has_value())
      << "instance " << instance_pid << " outlived its gateway";
  EXPECT_TRUE(WIFSIGNALED(*instance_status));
  EXPECT_EQ(WTERMSIG(*instance_status), SIGKILL) << "the parent-death signal";
}

}  // namespace
}  // namespace tidegate::scale
