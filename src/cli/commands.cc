#include "cli/commands.h"

#include <cstdio>
#include <optional>

#include "config/loader.h"
#include "core/log.h"
#include "net/address.h"
#include "scale/policy_factory.h"
#include "server/script_loader.h"
#include "server/server.h"

#ifndef TIDEGATE_VERSION
#define TIDEGATE_VERSION "0.0.0"
#endif

namespace tidegate::cli {
namespace {

struct Options {
  std::string config_path;
  std::optional<std::string> log_level;
};

std::optional<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      o.config_path = args[++i];
    } else if (a == "--log-level" && i + 1 < args.size()) {
      o.log_level = args[++i];
    } else {
      std::fprintf(stderr, "tidegate: unknown argument '%s'\n", a.c_str());
      return std::nullopt;
    }
  }
  if (o.config_path.empty()) {
    std::fprintf(stderr, "tidegate: -c FILE is required\n");
    return std::nullopt;
  }
  return o;
}

// Loads and validates; prints every problem as file:line:col. Also checks what only the
// gateway knows (numeric addresses it can bind and connect to).
std::optional<config::Config> loadAndReport(const std::string& path) {
  auto loaded = config::loadConfigFile(path);
  for (const auto& e : loaded.errors)
    std::fprintf(stderr, "%s\n", e.toString().c_str());
  if (!loaded.config) return std::nullopt;
  const auto& config = loaded.config;
  bool ok = true;
  for (const auto& u : loaded.config->upstreams)
    for (const auto& b : u.backends)
      if (!net::parseAddress(b.address)) {
        std::fprintf(stderr, "%s:%d:%d: backend address '%s' is not a numeric host:port\n",
                     b.mark.file.c_str(), b.mark.line, b.mark.column, b.address.c_str());
        ok = false;
      }
  // Policy parameters are checked by scale/, which config/ may not depend on.
  for (const auto& u : loaded.config->upstreams) {
    if (!u.scale) continue;
    const config::SourceMark& m = u.scale->policy.mark;
    if (auto valid = scale::validatePolicy(u.scale->policy); !valid) {
      std::fprintf(stderr, "%s:%d:%d: upstreams.%s.scale.policy: %s\n", m.file.c_str(), m.line,
                   m.column, u.name.c_str(), valid.error().message().c_str());
      ok = false;
    }
  }
  if (config->admin && !net::parseAddress(config->admin->listen)) {
    const auto& m = config->admin->mark;
    std::fprintf(stderr, "%s:%d:%d: admin listen address '%s' is not a numeric host:port\n",
                 m.file.c_str(), m.line, m.column, config->admin->listen.c_str());
    ok = false;
  }
  // Route scripts: syntax and top-level errors as "script:line: message".
  lua::SharedDicts dicts;
  server::addSharedDicts(config->lua, dicts);
  auto scripts =
      server::buildScripts(*config, server::vmOptionsFor(config->lua, &dicts), 1, nullptr);
  if (!scripts) {
    std::fprintf(stderr, "%s\n", scripts.error().message().c_str());
    ok = false;
  }
  if (!config->lua.control_script.empty()) {
    auto vm = server::loadControlVm(config->lua, server::vmOptionsFor(config->lua, &dicts));
    if (!vm) {
      std::fprintf(stderr, "%s:%d:%d: lua.control: %s\n", config->lua.mark.file.c_str(),
                   config->lua.mark.line, config->lua.mark.column, vm.error().message().c_str());
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return loaded.config;
}

}  // namespace

void printUsage() {
  std::fprintf(stderr,
               "usage: tidegate <command> [options]\n"
               "  run -c FILE [--log-level debug|info|warn|error]   run the gateway\n"
               "  check -c FILE                                     validate a config file\n"
               "  policy eval POLICY --input CTX.json [--params P.json]\n"
               "                                                    one scaling decision\n"
               "  version                                           print the version\n");
}

int versionCommand() {
  std::printf("tidegate %s\n", TIDEGATE_VERSION);
  return 0;
}

int checkCommand(const std::vector<std::string>& args) {
  auto opts = parseOptions(args);
  if (!opts) return 2;
  auto cfg = loadAndReport(opts->config_path);
  if (!cfg) return 1;
  std::printf("%s: ok (%zu route(s), %zu upstream(s))\n", opts->config_path.c_str(),
              cfg->routes.size(), cfg->upstreams.size());
  return 0;
}

int runCommand(const std::vector<std::string>& args) {
  auto opts = parseOptions(args);
  if (!opts) return 2;
  auto cfg = loadAndReport(opts->config_path);
  if (!cfg) return 1;
  log::Level level = log::Level::kInfo;
  std::string level_text = opts->log_level.value_or(cfg->log_level);
  if (!log::parseLevel(level_text, level)) {
    std::fprintf(stderr, "tidegate: unknown log level '%s'\n", level_text.c_str());
    return 2;
  }
  log::setLevel(level);
  server::Server server(std::move(*cfg));
  return server.run();
}

}  // namespace tidegate::cli
