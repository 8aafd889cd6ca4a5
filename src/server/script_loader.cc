#include "server/script_loader.h"

namespace tidegate::server {

lua::VmOptions vmOptionsFor(const config::LuaConfig& config, lua::SharedDicts* dicts,
                            lua::MetricsDeclarer* declarer) {
  lua::VmOptions o;
  o.declarer = declarer;
  o.memory_limit_bytes = config.memory_limit_bytes;
  o.time_limit = config.time_limit;
  o.shared_dicts = dicts;
  return o;
}

namespace {

bool sameEntries(const std::vector<lua::ScriptSet::Entry>& a,
                 const std::vector<lua::ScriptSet::Entry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].source->chunkName() != b[i].source->chunkName() ||
        a[i].source->code() != b[i].source->code())
      return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<const lua::ScriptSet>> buildScripts(
    const config::Config& config, const lua::VmOptions& options, uint64_t generation,
    const std::shared_ptr<const lua::ScriptSet>& current) {
  std::vector<lua::ScriptSet::Entry> entries;
  std::string errors;
  for (const auto& route : config.routes) {
    if (!route.script) continue;
    const config::ScriptConfig& sc = *route.script;
    if (!sc.file.empty()) {
      auto source = lua::ScriptSource::fromFile(sc.file);
      if (!source) {
        errors += sc.mark.file + ":" + std::to_string(sc.mark.line) + ":" +
                  std::to_string(sc.mark.column) + ": route " + route.name + ": " +
                  source.error().message() + "\n";
        continue;
      }
      entries.push_back({route.name, std::move(source.value())});
    } else {
      entries.push_back(
          {route.name, lua::ScriptSource::fromString("route " + route.name, sc.code)});
    }
  }
  if (!errors.empty()) {
    // Check the scripts that could be read too, so that one run reports every problem.
    if (!entries.empty()) {
      auto rest = lua::ScriptSet::build(std::move(entries), config.lua.module_path, options, 0);
      if (!rest) errors += rest.error().message() + "\n";
    }
    errors.pop_back();
    return Error(ErrorSource::kConfig, errors);
  }
  if (entries.empty()) return std::shared_ptr<const lua::ScriptSet>();
  // With a module path, a script may require modules that changed: always rebuild then.
  if (current && !current->modules() && config.lua.module_path.empty() &&
      sameEntries(current->entries(), entries))
    return current;
  return lua::ScriptSet::build(std::move(entries), config.lua.module_path, options, generation);
}

Result<std::unique_ptr<lua::ControlVm>> loadControlVm(const config::LuaConfig& config,
                                                      lua::VmOptions options) {
  auto vm = lua::ControlVm::create(std::move(options));
  if (!vm) return vm.error();
  auto source = lua::ScriptSource::fromFile(config.control_script);
  if (!source) return source.error();
  std::shared_ptr<lua::ModuleSources> modules;
  if (!config.module_path.empty())
    modules = std::make_shared<lua::ModuleSources>(config.module_path);
  if (auto ran = vm.value()->run(source.value(), modules); !ran) return ran.error();
  return std::move(vm.value());
}

std::vector<std::string> scriptFiles(const config::Config& config) {
  std::vector<std::string> files;
  for (const auto& route : config.routes)
    if (route.script && !route.script->file.empty()) files.push_back(route.script->file);
  return files;
}

void addSharedDicts(const config::LuaConfig& config, lua::SharedDicts& dicts) {
  for (const auto& [name, bytes] : config.shared_dicts)
    if (!dicts.find(name)) dicts.add(name, bytes);
}

}  // namespace tidegate::server
