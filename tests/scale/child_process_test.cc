// ChildProcess against real processes: log files, exit statuses, process groups, the
// environment a child starts with, and that none is ever left behind.

#include "scale/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace tidegate::scale {
namespace {

using namespace std::chrono_literals;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Gone: no such process, or a zombie nobody has reaped yet (it runs nothing any more).
bool processGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

template <typename Predicate>
bool waitFor(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::optional<ExitStatus> waitExit(ChildProcess& child) {
  std::optional<ExitStatus> status;
  waitFor([&] { return (status = child.poll()).has_value(); });
  return status;
}

class ChildProcessTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("tidegate-child-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<ChildProcess> spawn(const std::string& command) {
    return ChildProcess::spawn({command, logPath()});
  }
  std::string logPath() const { return (dir_ / "sub" / "child.log").string(); }

  std::filesystem::path dir_;
};

TEST_F(ChildProcessTest, AppendsOutputToTheLogFileAndReportsTheExitCode) {
  for (int run = 0; run < 2; ++run) {
    auto child = spawn("echo out-$$; echo err >&2; exit 3");
    ASSERT_TRUE(child.ok()) << child.error().message();
    auto status = waitExit(*child);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(status->exited());
    EXPECT_EQ(status->code(), 3);
    EXPECT_EQ(status->describe(), "exited with status 3");
    EXPECT_FALSE(child->running());
  }
  std::string log = readFile(logPath());
  // Both runs, each after its own launch banner: the file is appended, not truncated.
  size_t first = log.find("launching: echo out-$$");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_NE(log.find("launching: echo out-$$", first + 1), std::string::npos) << log;
  EXPECT_NE(log.find("out-"), std::string::npos) << log;
  EXPECT_NE(log.find("err\n"), std::string::npos) << log;
}

TEST_F(ChildProcessTest, ReportsDeathBySignal) {
  auto child = spawn("exec sleep 30");
  ASSERT_TRUE(child.ok());
  pid_t pid = child->pid();
  EXPECT_EQ(::getpgid(pid), pid) << "leads its own process group";
  EXPECT_FALSE(child->poll().has_value());
  EXPECT_TRUE(child->signalGroup(SIGKILL));
  auto status = waitExit(*child);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->signaled());
  EXPECT_EQ(status->signal(), SIGKILL);
  EXPECT_EQ(status->describe(), "killed by signal 9 (KILL)");
  EXPECT_FALSE(child->signalGroup(SIGTERM)) << "reaped: nothing left to signal";
}

TEST_F(ChildProcessTest, SignalsReachTheWholeGroup) {
  auto child = spawn("sleep 30 & echo background=$!; wait");
  ASSERT_TRUE(child.ok());
  pid_t background = 0;
  ASSERT_TRUE(waitFor([&] {
    std::string log = readFile(logPath());
    size_t at = log.find("\nbackground=");  // a line of output, not the banner
    if (at == std::string::npos || log.find('\n', at + 1) == std::string::npos) return false;
    background = std::stoi(log.substr(at + 12));
    return true;
  }));
  EXPECT_EQ(::getpgid(background), child->pid());
  EXPECT_TRUE(child->signalGroup(SIGTERM));
  EXPECT_TRUE(waitExit(*child).has_value());
  EXPECT_TRUE(waitFor([&] { return processGone(background); }));
  if (!processGone(background)) ::kill(background, SIGKILL);
}

TEST_F(ChildProcessTest, LeftoversOfTheGroupDieWithTheMainProcess) {
  auto child = spawn("sleep 30 & echo background=$!");  // the shell exits, sleep stays
  ASSERT_TRUE(child.ok());
  auto status = waitExit(*child);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), 0);
  std::string log = readFile(logPath());
  size_t at = log.find("\nbackground=");  // a line of output, not the banner
  ASSERT_NE(at, std::string::npos) << log;
  pid_t background = std::stoi(log.substr(at + 12));
  EXPECT_TRUE(waitFor([&] { return processGone(background); }));
  if (!processGone(background)) ::kill(background, SIGKILL);
}

TEST_F(ChildProcessTest, IgnoringSigtermDoesNotSurviveSigkill) {
  auto child = spawn("trap '' TERM; echo armed; while :; do sleep 0.05; done");
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE(waitFor([&] { return readFile(logPath()).find("\narmed\n") != std::string::npos; }));
  EXPECT_TRUE(child->signalGroup(SIGTERM));
  // Give SIGTERM every chance to (wrongly) work: the child must still be there.
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(10ms);
    ASSERT_FALSE(child->poll().has_value()) << "the shell was supposed to ignore SIGTERM";
  }
  EXPECT_TRUE(child->signalGroup(SIGKILL));
  auto status = waitExit(*child);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->signal(), SIGKILL);
}

TEST_F(ChildProcessTest, DestructorKillsAndReaps) {
  pid_t pid;
  {
    auto child = spawn("exec sleep 30");
    ASSERT_TRUE(child.ok());
    pid = child->pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "killed and reaped: not even a zombie is left";
}

TEST_F(ChildProcessTest, MovingKeepsOneOwner) {
  auto child = spawn("exec sleep 30");
  ASSERT_TRUE(child.ok());
  pid_t pid = child->pid();
  ChildProcess moved = std::move(child).value();
  EXPECT_EQ(moved.pid(), pid);
  EXPECT_TRUE(moved.signalGroup(SIGKILL));
  EXPECT_TRUE(waitExit(moved).has_value());
}

TEST_F(ChildProcessTest, StartsWithOnlyStdioAndDefaultSignals) {
  // A descriptor the test leaks on purpose (no O_CLOEXEC), and a signal state the gateway
  // has (SIGPIPE ignored) plus a blocked signal: none of it may reach the child.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(::dup2(leaked, 100), 100);
  ::close(leaked);
  struct sigaction previous_pipe {};
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous_pipe);
  sigset_t usr1, previous_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &previous_mask);

  auto child =
      spawn("ls /proc/self/fd | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign)' /proc/self/status");

  ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  ::sigaction(SIGPIPE, &previous_pipe, nullptr);
  ::close(100);
  ASSERT_TRUE(child.ok());
  auto status = waitExit(*child);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code(), 0);

  std::string log = readFile(logPath());
  EXPECT_EQ(log.find(" 100 "), std::string::npos) << log;
  EXPECT_NE(log.find("SigBlk:\t0000000000000000"), std::string::npos) << log;
  EXPECT_NE(log.find("SigIgn:\t0000000000000000"), std::string::npos) << log;
}

TEST_F(ChildProcessTest, ALogFileThatCannotBeOpenedIsAnError) {
  auto child = ChildProcess::spawn({"true", "/proc/self/no/such/dir/x.log"});
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.error().message().find("cannot open log file"), std::string::npos);
}

}  // namespace
}  // namespace tidegate::scale
