#include "scale/child_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

namespace tidegate::scale {
namespace {

Error spawnError(std::string message) {
  return Error(ErrorSource::kInternal, std::move(message), /*retryable=*/true);
}

void writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(size_t(n));
  }
}

// A line that separates one launch from the next in a log file that outlives them.
std::string launchBanner(const std::string& command) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return fmt::format("--- tidegate {} launching: {}\n", when, command);
}

// Runs in the forked child: async-signal-safe calls only (the parent may have had threads).
[[noreturn]] void becomeInstance(pid_t parent, int null_fd, int log_fd, const char* command) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and prctl; then no signal would ever come.
  if (::getppid() != parent) ::_exit(127);

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int signal = 1; signal < NSIG; ++signal)
    ::sigaction(signal, &defaults, nullptr);

  if (::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
      ::dup2(log_fd, STDERR_FILENO) < 0) {
    ::_exit(127);
  }
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; ++fd)
      ::close(fd);
  }
  const char* argv[] = {"sh", "-c", command, nullptr};
  ::execv("/bin/sh", const_cast<char* const*>(argv));
  static constexpr char kFailed[] = "tidegate: exec /bin/sh failed\n";
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kFailed, sizeof(kFailed) - 1);
  ::_exit(127);
}

}  // namespace

bool ExitStatus::exited() const {
  return !unknown && WIFEXITED(raw);
}
int ExitStatus::code() const {
  return WEXITSTATUS(raw);
}
bool ExitStatus::signaled() const {
  return !unknown && WIFSIGNALED(raw);
}
int ExitStatus::signal() const {
  return WTERMSIG(raw);
}

std::string ExitStatus::describe() const {
  if (unknown) return "exited (status unknown: reaped elsewhere)";
  if (exited()) return fmt::format("exited with status {}", code());
  if (signaled()) {
    const char* name = sigabbrev_np(signal());
    return fmt::format("killed by signal {} ({})", signal(), name ? name : "?");
  }
  return fmt::format("ended with wait status {:#x}", raw);
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(options.log_path).parent_path(),
                                      ignored);
  int log_fd = ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return spawnError(
        fmt::format("cannot open log file {}: {}", options.log_path, std::strerror(errno)));
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    int saved = errno;
    ::close(log_fd);
    return spawnError(fmt::format("cannot open /dev/null: {}", std::strerror(saved)));
  }
  writeAll(log_fd, launchBanner(options.command));

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) becomeInstance(parent, null_fd, log_fd, options.command.c_str());
  int saved = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) return spawnError(fmt::format("fork failed: {}", std::strerror(saved)));
  // Also from the parent: a signal sent to the group right after fork must find it even if
  // the child has not run yet. One of the two calls races the exec and may fail; harmless.
  ::setpgid(pid, pid);
  return ChildProcess(pid);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) {
  other.pid_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    killAndReap();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  killAndReap();
}

void ChildProcess::killAndReap() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);  // in case it never got to setpgid
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::optional<ExitStatus> ChildProcess::poll() {
  if (pid_ <= 0) return std::nullopt;
  siginfo_t info{};
  // WNOWAIT: look without reaping, so the zombie keeps the pid (and group id) reserved while
  // we sweep the rest of its group.
  int rc;
  do {
    rc = ::waitid(P_PID, id_t(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != ECHILD) return std::nullopt;
    pid_ = -1;  // gone and reaped without us: the pid may already be reused, signal nothing
    return ExitStatus{0, /*unknown=*/true};
  }
  if (info.si_pid == 0) return std::nullopt;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  pid_ = -1;
  return ExitStatus{status};
}

bool ChildProcess::signalGroup(int signal) {
  if (pid_ <= 0) return false;
  return ::kill(-pid_, signal) == 0;
}

}  // namespace tidegate::scale
