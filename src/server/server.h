#pragma once
// Server: the composition root. Starts one Worker per core (each with its own SO_REUSEPORT
// listeners), publishes snapshots to them, and runs the control loop on the calling thread:
// SIGHUP reloads the config file (a bad one is rejected and the old one keeps serving),
// SIGTERM/SIGINT stop accepting and drain in-flight requests up to timeouts.drain.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/schema.h"
#include "proxy/worker.h"
#include "server/snapshot_builder.h"

namespace tidegate::server {

class Server {
 public:
  explicit Server(config::Config config);
  ~Server();

  // Binds, starts workers and blocks until shut down. Returns the process exit code.
  int run();

 private:
  void publish(std::shared_ptr<const proxy::Snapshot> snap);
  void reload();
  void startDrain();
  void checkDrained();

  std::shared_ptr<const config::Config> config_;
  BackendRegistry registry_;
  uint64_t generation_ = 0;
  size_t buffer_size_ = 0;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  std::vector<std::thread> threads_;
  asio::io_context control_;
  asio::steady_timer drain_timer_{control_};
  int64_t drain_deadline_ms_ = 0;
  bool draining_ = false;
};

}  // namespace tidegate::server
