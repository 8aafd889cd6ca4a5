#pragma once
// ChildProcess: one local instance process — started with fork + exec of `/bin/sh -c COMMAND`
// in its own process group, its output appended to a log file, reaped without blocking.

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/result.h"

namespace tidegate::scale {

// How a child ended: the raw wait status, and words for people.
struct ExitStatus {
  int raw = 0;
  bool unknown = false;          // reaped by someone else (e.g. SIGCHLD set to SIG_IGN): no status
  bool exited() const;           // returned from main / called exit
  int code() const;              // exit code when exited()
  bool signaled() const;         // killed by a signal
  int signal() const;            // that signal when signaled()
  std::string describe() const;  // "exited with status 1", "killed by signal 9 (KILL)"
};

struct SpawnOptions {
  std::string command;   // run as /bin/sh -c COMMAND
  std::string log_path;  // stdout and stderr are appended here (created 0644, directory too)
};

// Why a shell: commands are user templates ("sleep 1; exec ./srv --port {port}") and the
// config documents shell semantics. The cost: the shell is the process we fork, so
// PR_SET_PDEATHSIG covers it and whatever it `exec`s, but not processes it forks (the
// signal is not inherited across fork). Commands should `exec` their server; while the
// gateway lives, anything else the shell starts is still reached through the process group.
//
// Guarantees:
// - the child leads its own process group (pgid == pid), so every signal goes to the
//   whole group, and a terminal's Ctrl-C aimed at the gateway does not hit it directly;
// - PR_SET_PDEATHSIG(SIGKILL): the child dies when the *thread* that forked it exits.
//   The gateway forks from its control thread, which lives as long as the process, so in
//   practice: when the gateway dies, even by SIGKILL, its instances die too;
// - stdin is /dev/null, stdout/stderr the log file, every other fd is closed;
// - signal mask and ignored signals (the gateway ignores SIGPIPE) are reset to defaults;
// - when the main process has exited, whatever is left of its group is SIGKILLed before
//   the zombie is reaped (while the zombie still holds the id, so no other group is hit);
// - the destructor SIGKILLs the group and reaps the process if it is still there.
//
// Not thread-safe; one owner, normally the control thread.
class ChildProcess {
 public:
  // Forks and execs. Errors: the log file cannot be opened, fork fails. A command that
  // cannot run shows up as an exit (status 127 from the shell) with the reason in the log.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // SIGKILL to the group and a blocking reap if still running: never leaves a child behind.
  // The wait is bounded by the kernel delivering SIGKILL (microseconds, unless the process
  // is stuck in uninterruptible I/O).
  ~ChildProcess();

  pid_t pid() const { return pid_; }  // also the process group id; -1 once reaped
  bool running() const { return pid_ > 0; }

  // Non-blocking: the exit status once the process has ended (and is now reaped), nullopt
  // while it runs. After it returns a status, pid() is -1.
  std::optional<ExitStatus> poll();
  // Sends `signal` to the whole process group; false when already reaped or kill fails.
  bool signalGroup(int signal);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  void killAndReap();

  pid_t pid_ = -1;
};

}  // namespace tidegate::scale
