#pragma once
// The sandbox: which parts of Lua's standard library a script can reach. Scripts get base
// (minus dofile, loadfile, newproxy; load/loadstring take source text only and run it in the
// caller's environment; setfenv(0) and collectgarbage("stop") refused; getfenv never returns
// the VM-wide globals), string (minus dump), table, math, bit, coroutine, and os.time/clock/
// date. No io, debug, package, ffi or jit: they are never opened, so no path leads to them.
// `require` is per script (script.h). Called once per VM, in protected mode.

#include <lua.hpp>

namespace tidegate::lua {

// Opens the allowed libraries into the globals of `L` and removes everything else.
void openSandbox(lua_State* L);

}  // namespace tidegate::lua
