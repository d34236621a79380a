// The C side of Lumen's Lua boundary.
//
// Rule: no longjmp through Swift frames. Lua calls a C trampoline; the trampoline calls Swift;
// Swift reports failure by pushing a message and returning LUMEN_ERROR; only then, back in C
// with no Swift frame on the stack, does the trampoline call lua_error.
#pragma once
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>

/// Returned by a Swift binding after pushing an error message.
#define LUMEN_ERROR (-1)

/// The one Swift entry point: runs binding number `id` on L, returns result count or LUMEN_ERROR.
typedef int (*lumen_dispatch_fn)(lua_State *L, int id);

/// Installs the Swift dispatcher (once per process, before any call).
void lumen_set_dispatcher(lumen_dispatch_fn fn);

/// Pushes a Lua function that runs binding `id` through the trampoline.
void lumen_push_binding(lua_State *L, int id);

// Macros of lua.h that Swift cannot import, as functions.
void lumen_pop(lua_State *L, int n);
int lumen_upvalueindex(int i);
int lumen_registryindex(void);
int lumen_pcall(lua_State *L, int nargs, int nresults, int msgh);
void lumen_newtable(lua_State *L);
const char *lumen_tostring(lua_State *L, int index);
int lumen_gc_collect(lua_State *L);
int lumen_gc_count_kb(lua_State *L);
int lumen_isnoneornil(lua_State *L, int index);

/// Tensor userdata checks without string lookups: the tensor metatable is remembered per state
/// (in the state's extra space) when it is created.
void lumen_remember_tensor_metatable(lua_State *L, int index);
/// The boxed pointer stored in a tensor userdata at `index`, or NULL if it is not a tensor.
void *lumen_tensor_box(lua_State *L, int index);
/// Allocates a tensor userdata holding `box` with the tensor metatable; leaves it on the stack.
void lumen_push_tensor_box(lua_State *L, void *box);

/// Loads `code` (named `chunkname`) and runs it under a message handler adding a traceback.
/// Returns LUA_OK or an error code with the message (and traceback) on the stack.
int lumen_dostring(lua_State *L, const char *code, size_t length, const char *chunkname, int nresults);

/// Calls the function below `nargs` arguments with a traceback handler (like lua.c's docall).
int lumen_docall(lua_State *L, int nargs, int nresults);

/// Ctrl-C support: install a SIGINT handler that, while `lumen_set_running(1)`, stops the running
/// chunk at the next Lua instruction (a count hook raising "interrupted", as lua.c does) and sets
/// the engine's interrupt flag through `on_interrupt`.
void lumen_install_sigint(lua_State *L, void (*on_interrupt)(void));
void lumen_set_running(int running);
/// Called on SIGINT when no chunk is running (the REPL abandons the line being edited).
void lumen_set_idle_interrupt(void (*callback)(void));
/// Number of SIGINTs received while not running (the REPL clears its line on these).
int lumen_take_idle_interrupts(void);
