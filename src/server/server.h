#pragma once
// Server: the composition root. Starts one Worker per core (each with its own SO_REUSEPORT
// listeners, metric shard and Lua VM), publishes snapshots to them, and runs the control plane
// on the calling thread: the once-a-second telemetry round, the admin listener, SIGHUP reloads
// (a bad config or script is rejected and the old one keeps serving), script watching, and
// SIGTERM/SIGINT drain.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <asio/steady_timer.hpp>

#include "admin/admin_server.h"
#include "config/schema.h"
#include "lua/control_vm.h"
#include "lua/shared_dict.h"
#include "metrics/access_log.h"
#include "proxy/worker.h"
#include "scale/event_log.h"
#include "scale/provider.h"
#include "server/access_log_metrics.h"
#include "server/backend_scraper.h"
#include "server/scaled_pool.h"
#include "server/snapshot_builder.h"
#include "server/telemetry.h"

namespace tidegate::server {

class Server final : public scale::PoolMembership {
 public:
  explicit Server(config::Config config);
  ~Server() override;

  // Binds, starts workers and blocks until shut down. Returns the process exit code.
  int run();

  // scale::PoolMembership, for the providers of autoscaled pools (control thread).
  void setBackends(std::string_view pool, std::vector<std::string> addresses) override;
  int64_t inflight(std::string_view pool, std::string_view address) const override;
  void closeIdle(std::string_view pool, std::string_view address) override;

 private:
  Result<Ok> startScaling();
  void stopScaling(std::function<void()> done);
  std::vector<Telemetry::LocalProcess> localProcesses() const;
  // Builds a snapshot of `config` with the current scripts and membership and publishes it.
  Result<Ok> rebuild(std::shared_ptr<const config::Config> config,
                     std::shared_ptr<const lua::ScriptSet> scripts);
  void publish(std::shared_ptr<const proxy::Snapshot> snap);
  void reload();
  void reloadScripts(const std::string& why);
  void startDrain();
  void checkDrained();
  void scheduleTick();
  void tick();
  void watchScripts();
  Result<Ok> startAdmin();
  // Options of the VMs that check and run route scripts (workers', and the check's).
  lua::VmOptions scriptVmOptions();
  // Loads lua.control_script into a new control VM; the old one stays when this fails.
  Result<Ok> loadControlScript(const config::Config& config);
  void scheduleControlTick();

  std::shared_ptr<const config::Config> config_;
  std::unique_ptr<Telemetry> telemetry_;
  lua::SharedDicts shared_dicts_;
  std::shared_ptr<const lua::ScriptSet> scripts_;
  std::unique_ptr<BackendRegistry> registry_;
  std::map<std::string, std::vector<std::string>> membership_;  // autoscaled pools
  std::shared_ptr<const proxy::Snapshot> current_;              // the last one published
  // Backends an autoscaled pool dropped, kept until their drain is over (in-flight counts).
  std::map<std::string, upstream::BackendPtr> removed_;
  scale::EventLog events_;
  std::vector<std::unique_ptr<ScaledPool>> scaled_;
  uint64_t generation_ = 0;
  size_t buffer_size_ = 0;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  std::vector<std::thread> threads_;
  asio::io_context control_;
  asio::steady_timer drain_timer_{control_};
  asio::steady_timer tick_timer_{control_};
  std::unique_ptr<admin::AdminServer> admin_;
  std::unique_ptr<lua::ControlVm> control_vm_;  // null: no control script
  // Declared after control_ and telemetry_, so destroyed before them.
  std::unique_ptr<BackendScraper> scraper_;
  asio::steady_timer control_vm_timer_{control_};
  std::unique_ptr<metrics::AccessLog> access_log_;  // destroyed after the workers stop
  AccessLogMetrics access_log_metrics_;
  std::map<std::string, int64_t> watched_mtimes_;  // script file -> mtime (ns)
  int64_t drain_deadline_ms_ = 0;
  bool draining_ = false;
};

}  // namespace tidegate::server
