// Scripts: loading, hook tables, syntax and top-level errors, require, ScriptSet generations.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::makeVm;

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tidegate_lua_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(ScriptTest, HooksAreOptional) {
  auto vm = makeVm();
  auto script = testing::loadScript(*vm, "return { on_request = function() end }");
  ASSERT_NE(script, nullptr);
  EXPECT_TRUE(script->has(Hook::kOnRequest));
  EXPECT_FALSE(script->has(Hook::kBalance));
  EXPECT_FALSE(script->has(Hook::kOnResponse));
  EXPECT_FALSE(script->has(Hook::kOnLog));
  auto empty = testing::loadScript(*vm, "return {}");
  ASSERT_NE(empty, nullptr);
  EXPECT_FALSE(empty->has(Hook::kOnRequest));
}

TEST(ScriptTest, TheScriptMustReturnATableOfFunctions) {
  auto vm = makeVm();
  auto none = Script::load(*vm, ScriptSource::fromString("a.lua", "local x = 1"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "a.lua: the script must return a table of hooks (it returned nil)");
  auto bad = Script::load(*vm, ScriptSource::fromString("b.lua", "return { balance = 3 }"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "b.lua: balance must be a function (it is a number)");
  EXPECT_EQ(bad.error().source(), ErrorSource::kScript);
}

TEST(ScriptTest, SyntaxErrorFromAFileSaysFileAndLine) {
  TempDir dir;
  const std::string path = dir.write("broken.lua",
                                     "local M = {}\n\nfunction M.on_request(req)\n"
                                     "  if req then\nend\nreturn M\n");
  auto source = ScriptSource::fromFile(path);
  ASSERT_TRUE(source.ok());
  auto vm = makeVm();
  auto script = Script::load(*vm, source.value());
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), path +
                                          ":7: 'end' expected (to close 'function' at line 3) "
                                          "near '<eof>'");
}

TEST(ScriptTest, MissingFileIsAConfigError) {
  auto source = ScriptSource::fromFile("/nonexistent/x.lua");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().source(), ErrorSource::kConfig);
  EXPECT_NE(source.error().message().find("/nonexistent/x.lua: cannot read"), std::string::npos);
}

TEST(ScriptTest, TopLevelRuntimeErrorSaysScriptAndLine) {
  auto vm = makeVm();
  auto script = Script::load(*vm, ScriptSource::fromString("route api",
                                                           "local t = nil\n"
                                                           "return t.x"));
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), "route api:2: attempt to index local 't' (a nil value)");
}

TEST(ScriptTest, TopLevelRunawayIsStopped) {
  auto vm = makeVm(testing::withTimeLimit(std::chrono::milliseconds(20)));
  auto script = Script::load(*vm, ScriptSource::fromString("spin.lua", "while true do end"));
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), "spin.lua:1: time limit exceeded (20 ms of CPU)");
}

TEST(ScriptTest, RequireLoadsModulesFromTheModuleDirectoryOnly) {
  TempDir dir;
  dir.write("util/strings.lua",
            "local M = {} function M.shout(s) return s:upper() end "
            "return M");
  dir.write("counter.lua", "loads = (loads or 0) + 1 return { n = loads }");
  auto modules = std::make_shared<ModuleSources>(dir.path());
  auto vm = makeVm();
  auto script = testing::loadScript(*vm,
                                    "local s = require('util.strings')\n"
                                    "local c1 = require('counter')\n"
                                    "local c2 = require('counter')\n"
                                    "assert(c1 == c2, 'modules load once')\n"
                                    "return { value = s.shout('hi') }",
                                    "main.lua", modules);
  ASSERT_NE(script, nullptr);

  for (const char* name : {"../escape", "/etc/passwd", "a/b", "a..b", ".a", "a.", ""}) {
    auto bad = Script::load(
        *vm, ScriptSource::fromString("bad.lua", "return require('" + std::string(name) + "')"),
        modules);
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_NE(bad.error().message().find("invalid module name"), std::string::npos)
        << bad.error().message();
  }
  auto missing =
      Script::load(*vm, ScriptSource::fromString("m.lua", "local m = require('nope')"), modules);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("m.lua:1: module 'nope' not found"), std::string::npos)
      << missing.error().message();
}

TEST(ScriptTest, RequireWithoutAModulePathFails) {
  auto vm = makeVm();
  auto script = Script::load(*vm, ScriptSource::fromString("r.lua", "local x = require('x')"));
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), "r.lua:1: require: no module path is configured");
}

TEST(ScriptTest, ModuleSyntaxErrorSaysModuleFileAndLine) {
  TempDir dir;
  const std::string path = dir.write("lib.lua", "return {\n  x = = 1\n}");
  auto vm = makeVm();
  auto script = Script::load(*vm, ScriptSource::fromString("main.lua", "return require('lib')"),
                             std::make_shared<ModuleSources>(dir.path()));
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.error().message(), path + ":2: unexpected symbol near '='");
}

TEST(ScriptTest, ScriptSetReportsEveryBrokenScriptAtOnce) {
  std::vector<ScriptSet::Entry> entries = {
      {"a", ScriptSource::fromString("a.lua", "return {}")},
      {"b", ScriptSource::fromString("b.lua", "return {")},
      {"c", ScriptSource::fromString("c.lua", "error('nope')")},
  };
  auto set = ScriptSet::build(std::move(entries), "", VmOptions{}, 2);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().message(),
            "b.lua:1: unexpected symbol near '<eof>'\n"
            "c.lua:1: nope");
}

TEST(ScriptTest, AFailedReloadKeepsTheOldGeneration) {
  auto first = ScriptSet::build({{"api", ScriptSource::fromString("api.lua", "return {}")}}, "",
                                VmOptions{}, 1);
  ASSERT_TRUE(first.ok());
  std::shared_ptr<const ScriptSet> current = first.value();

  auto broken = ScriptSet::build({{"api", ScriptSource::fromString("api.lua", "return {")}}, "",
                                 VmOptions{}, 2);
  ASSERT_FALSE(broken.ok());  // the caller keeps `current`
  EXPECT_EQ(current->generation(), 1u);

  auto vm = makeVm();
  auto loaded = LoadedScripts::load(*vm, current);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value()->generation(), 1u);
  EXPECT_NE(loaded.value()->find("api"), nullptr);
  EXPECT_EQ(loaded.value()->find("other"), nullptr);
}

TEST(ScriptTest, ModulesReadByTheCheckAreServedToWorkersFromMemory) {
  TempDir dir;
  const std::string path = dir.write("lib.lua", "return { v = 1 }");
  auto set = ScriptSet::build(
      {{"api", ScriptSource::fromString("api.lua", "local lib = require('lib') return {}")}},
      dir.path(), VmOptions{}, 1);
  ASSERT_TRUE(set.ok()) << set.error().message();
  std::filesystem::remove(path);  // a worker loading the set must not need the file
  auto vm = makeVm();
  auto loaded = LoadedScripts::load(*vm, set.value());
  EXPECT_TRUE(loaded.ok()) << loaded.error().message();
}

TEST(ScriptTest, DestroyingAScriptReleasesItsReferences) {
  auto vm = makeVm();
  lua_gc(vm->state(), LUA_GCCOLLECT, 0);
  const size_t before = vm->memoryUsed();
  for (int i = 0; i < 200; ++i) {
    auto script =
        testing::loadScript(*vm,
                            "local big = string.rep('x', 10000) return { on_request = function() "
                            "return big end }");
    ASSERT_NE(script, nullptr);
  }
  lua_gc(vm->state(), LUA_GCCOLLECT, 0);
  EXPECT_LT(vm->memoryUsed(), before + 200 * 1000);
}

}  // namespace
}  // namespace tidegate::lua
