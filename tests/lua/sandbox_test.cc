// The sandbox: what a script can and cannot reach.

#include <gtest/gtest.h>

#include "fake_contexts.h"

namespace tidegate::lua {
namespace {

using testing::eval;
using testing::makeVm;

class SandboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<LuaVm> vm_ = makeVm();
};

TEST_F(SandboxTest, DangerousLibrariesAreAbsent) {
  for (const char* name : {"io", "debug", "package", "ffi", "jit", "require", "dofile", "loadfile",
                           "module", "newproxy"}) {
    EXPECT_EQ(eval(*vm_, std::string("return ") + name), "nil") << name;
  }
}

TEST_F(SandboxTest, OsKeepsOnlyTimeClockDate) {
  EXPECT_EQ(eval(*vm_, "return os.execute"), "nil");
  EXPECT_EQ(eval(*vm_, "return os.getenv"), "nil");
  EXPECT_EQ(eval(*vm_, "return os.exit"), "nil");
  EXPECT_EQ(eval(*vm_, "return os.remove"), "nil");
  EXPECT_EQ(eval(*vm_, "return type(os.time())"), "number");
  EXPECT_EQ(eval(*vm_, "return type(os.clock())"), "number");
  EXPECT_EQ(eval(*vm_, "return type(os.date('%Y'))"), "string");
}

TEST_F(SandboxTest, StandardLibrariesWork) {
  EXPECT_EQ(eval(*vm_, "return string.format('%d-%s', 4, ('ab'):upper())"), "4-AB");
  EXPECT_EQ(eval(*vm_, "local t = {3, 1, 2}; table.sort(t); return table.concat(t, ',')"), "1,2,3");
  EXPECT_EQ(eval(*vm_, "return math.floor(2.5)"), "2");
  EXPECT_EQ(eval(*vm_, "return bit.band(0xff, 0x0f)"), "15");
  EXPECT_EQ(eval(*vm_,
                 "local co = coroutine.wrap(function() coroutine.yield(7) end) "
                 "return co()"),
            "7");
  EXPECT_EQ(eval(*vm_, "local ok, e = pcall(error, 'x', 0) return e"), "x");
}

TEST_F(SandboxTest, RequireIsNotAGlobalAndCannotReachFfi) {
  EXPECT_EQ(eval(*vm_, "return require"), "nil");
  // A script's require only serves its module directory, and ffi is no module there.
  auto script = Script::load(*vm_, ScriptSource::fromString("s.lua", "return require('ffi')"),
                             std::make_shared<ModuleSources>("/nonexistent"));
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.error().message().find("module 'ffi' not found"), std::string::npos);
}

TEST_F(SandboxTest, BytecodeCannotBeLoaded) {
  EXPECT_EQ(eval(*vm_, "return string.dump"), "nil");
  // Bytecode made by an unsandboxed state, handed in as a string.
  lua_State* plain = luaL_newstate();
  luaL_openlibs(plain);
  ASSERT_EQ(luaL_dostring(plain, "return string.dump(function() return 42 end)"), 0);
  size_t len = 0;
  const char* bc = lua_tolstring(plain, -1, &len);
  lua_State* L = vm_->state();
  lua_pushlstring(L, bc, len);
  lua_setglobal(L, "bytecode");
  lua_close(plain);
  EXPECT_EQ(eval(*vm_, "local f, err = loadstring(bytecode) return err"),
            "attempt to load chunk with wrong mode");
  EXPECT_EQ(eval(*vm_, "local f, err = load(bytecode) return err"),
            "attempt to load chunk with wrong mode");
  EXPECT_EQ(eval(*vm_, "return loadstring('return 6 * 7')()"), "42");
  EXPECT_NE(eval(*vm_, "return load(function() return nil end)").find("only strings"),
            std::string::npos);
}

TEST_F(SandboxTest, SetfenvCannotReplaceTheVmGlobals) {
  EXPECT_NE(eval(*vm_, "setfenv(0, {}) return 1").find("setfenv(0, ...) is not allowed"),
            std::string::npos);
  // Ordinary uses still work: a function's own environment.
  EXPECT_EQ(eval(*vm_, "local f = function() return x end setfenv(f, {x = 5}) return f()"), "5");
  EXPECT_EQ(eval(*vm_,
                 "local function g() setfenv(1, {y = 9}) return y end "
                 "return select(2, pcall(g))"),
            "9");
  // A C function's environment cannot be changed.
  EXPECT_NE(eval(*vm_, "setfenv(print, {}) return 1").find("error"), std::string::npos);
  // And nothing dangerous is hiding in any reachable environment.
  EXPECT_EQ(eval(*vm_, "return getfenv(0).io"), "nil");
  EXPECT_EQ(eval(*vm_, "return getfenv(print).io"), "nil");
  EXPECT_EQ(eval(*vm_, "local function f() local e = getfenv(2) return e end return type(f())"),
            "table");
}

TEST_F(SandboxTest, NoScriptReachesTheVmGlobals) {
  // Every route through which a script could find the table all environments are copied
  // from leads to its own environment instead.
  auto script = testing::loadScript(*vm_, R"(
    local env = getfenv(1)
    assert(getfenv(0) == env, 'getfenv(0)')
    assert(getfenv(print) == env, 'getfenv(c function)')
    assert(getfenv() == env, 'getfenv()')
    assert(_G == env, '_G')
    loadstring('leak = 1')()
    assert(leak == 1, 'loadstring runs in the caller environment')
    getfenv(0).string = nil
    return {})",
                                    "g.lua");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(eval(*vm_, "return leak"), "nil");
  EXPECT_EQ(eval(*vm_, "return type(string)"), "table");
  auto next = testing::loadScript(*vm_, "assert(string.format) return {}", "n.lua");
  EXPECT_NE(next, nullptr);
}

TEST_F(SandboxTest, StringMetatableCanBeChangedButLeadsNowhere) {
  EXPECT_EQ(eval(*vm_, "return getmetatable('').__index.io"), "nil");
  EXPECT_EQ(eval(*vm_, "return getmetatable('').__index == string"), "true");
  EXPECT_EQ(eval(*vm_,
                 "local mt = getmetatable('') mt.__index = function(s, k) "
                 "return k end return ('x').anything"),
            "anything");
  EXPECT_EQ(eval(*vm_, "local mt = getmetatable('') return rawget(mt, '__index') ~= nil"), "true");
}

TEST_F(SandboxTest, CollectgarbageCannotStopTheCollector) {
  EXPECT_NE(eval(*vm_, "collectgarbage('stop')").find("not allowed"), std::string::npos);
  EXPECT_NE(eval(*vm_, "collectgarbage('setpause', 1000)").find("not allowed"), std::string::npos);
  EXPECT_EQ(eval(*vm_, "return type(collectgarbage('count'))"), "number");
  EXPECT_EQ(eval(*vm_, "return collectgarbage()"), "0");
}

TEST_F(SandboxTest, TgRefusesNewFields) {
  EXPECT_NE(eval(*vm_, "tg.var = {}").find("tg is read-only (tg.var cannot be assigned)"),
            std::string::npos);
  EXPECT_NE(eval(*vm_, "tg.mine = 1").find("tg is read-only"), std::string::npos);
  EXPECT_EQ(eval(*vm_, "return getmetatable(tg)"), "tidegate.tg");
}

TEST_F(SandboxTest, ScriptsCannotBreakLibrariesOrTgForEachOther) {
  auto a = testing::loadScript(*vm_,
                               "tg.now = nil string.format = nil math.floor = nil "
                               "tg.shared.x = 1 tg.log.info = nil return {}",
                               "a.lua");
  ASSERT_NE(a, nullptr);
  auto b = testing::loadScript(*vm_,
                               "assert(type(tg.now) == 'function', 'tg.now') "
                               "assert(string.format('%d', 1) == '1') "
                               "assert(math.floor(1.5) == 1) assert(tg.shared.x == nil) "
                               "assert(tg.log.info) return {}",
                               "b.lua");
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(eval(*vm_, "return type(tg.now)"), "function");
}

TEST_F(SandboxTest, ScriptGlobalIsItsOwnTable) {
  auto a = testing::loadScript(*vm_,
                               "assert(_G.tg == tg and _G.string == string) "
                               "_G.mine = 1 assert(mine == 1) return {}");
  EXPECT_NE(a, nullptr);
  EXPECT_EQ(eval(*vm_, "return mine"), "nil");
}

TEST_F(SandboxTest, ScriptGlobalsStayInTheScript) {
  auto a = testing::loadScript(*vm_, "leaked = 1 return {}", "a.lua");
  EXPECT_EQ(eval(*vm_, "return leaked"), "nil");
  auto b = testing::loadScript(*vm_, "assert(leaked == nil) return {}", "b.lua");
  EXPECT_NE(b, nullptr);
}

TEST_F(SandboxTest, JitIsOffSoCountHooksSeeEveryLoop) {
  // Not reachable from scripts; check the engine state from outside.
  lua_State* L = vm_->state();
  EXPECT_EQ(luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF), 1);
}

}  // namespace
}  // namespace tidegate::lua
