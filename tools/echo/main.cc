// tidegate-echo: the project's HTTP/1.1 test backend (see tools/echo/README.md). Binds one
// SO_REUSEPORT listener per worker thread, prints "listening on HOST:PORT", and serves until
// SIGTERM or SIGINT.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "echo/options.h"
#include "echo/slot_pool.h"
#include "echo/worker.h"

namespace tidegate::echo {
namespace {

struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool v6 = false;
};

bool resolve(const std::string& host, uint16_t port, Endpoint& out) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.length = sizeof(sockaddr_in);
    return true;
  }
  std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                         ? host.substr(1, host.size() - 2)
                         : host;
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.length = sizeof(sockaddr_in6);
    out.v6 = true;
    return true;
  }
  return false;
}

void setPort(Endpoint& endpoint, uint16_t port) {
  if (endpoint.v6) {
    reinterpret_cast<sockaddr_in6*>(&endpoint.storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&endpoint.storage)->sin_port = htons(port);
  }
}

// Fails when someone already listens on the port. Needed because with SO_REUSEPORT a
// second echo started on a busy port by mistake would silently share its traffic.
bool portIsFree(const Endpoint& endpoint) {
  int fd = socket(endpoint.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool free = bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.storage), endpoint.length) == 0;
  close(fd);
  return free;
}

int listenOn(const Endpoint& endpoint) {
  int fd = socket(endpoint.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&endpoint.storage), endpoint.length) != 0 ||
      listen(fd, 4096) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

uint16_t boundPort(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

int run(int argc, char** argv) {
  Options options;
  std::string error;
  switch (parseOptions(argc, argv, options, error)) {
    case ParseOutcome::kHelp:
      std::fputs(helpText(), stdout);
      return 0;
    case ParseOutcome::kError:
      std::fprintf(stderr, "tidegate-echo: %s\n", error.c_str());
      return 2;
    case ParseOutcome::kRun:
      break;
  }

  Endpoint endpoint;
  if (!resolve(options.host, options.port, endpoint)) {
    std::fprintf(stderr, "tidegate-echo: --host must be a numeric address, not '%s'\n",
                 options.host.c_str());
    return 2;
  }
  if (options.host.front() == '[') options.host = options.host.substr(1, options.host.size() - 2);
  if (options.port != 0 && !portIsFree(endpoint)) {
    std::fprintf(stderr, "tidegate-echo: cannot listen on %s port %u: %s\n", options.host.c_str(),
                 options.port, std::strerror(errno));
    return 1;
  }
  std::vector<int> listeners;
  for (int i = 0; i < options.threads; ++i) {
    int fd = listenOn(endpoint);
    if (fd < 0) {
      std::fprintf(stderr, "tidegate-echo: cannot listen on %s port %u: %s\n", options.host.c_str(),
                   options.port, std::strerror(errno));
      return 1;
    }
    listeners.push_back(fd);
    if (i == 0 && options.port == 0) {
      options.port = boundPort(fd);  // the rest join the port the kernel picked
      setPort(endpoint, options.port);
    }
  }
  std::string id = options.id.empty() ? "echo:" + std::to_string(options.port) : options.id;

  // Signals go to the thread that waits for them, never to a worker mid-request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<SlotPool> slots;
  if (options.slots > 0) slots = std::make_unique<SlotPool>(options.slots);
  LiveCounters counters;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.threads; ++i) {
    workers.push_back(
        std::make_unique<Worker>(options, id, slots.get(), &counters, listeners[i], i));
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers)
    threads.emplace_back([&worker] { worker->run(); });

  std::printf("listening on %s%s%s:%u\n", endpoint.v6 ? "[" : "", options.host.c_str(),
              endpoint.v6 ? "]" : "", options.port);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  for (auto& worker : workers)
    worker->stop();
  for (auto& thread : threads)
    thread.join();
  workers.clear();
  return 0;
}

}  // namespace
}  // namespace tidegate::echo

int main(int argc, char** argv) {
  return tidegate::echo::run(argc, argv);
}
