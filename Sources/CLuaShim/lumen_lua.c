#include "lumen_lua.h"
#include <signal.h>
#include <string.h>

static lumen_dispatch_fn dispatcher = 0;
static volatile sig_atomic_t running = 0;

void lumen_set_dispatcher(lumen_dispatch_fn fn) { dispatcher = fn; }

static int trampoline(lua_State *L) {
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    int n = dispatcher(L, id);
    if (n < 0) {
        // Swift has returned: safe to longjmp now. Prefix the caller's position ("file:line:").
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    }
    return n;
}

void lumen_push_binding(lua_State *L, int id) {
    lua_pushinteger(L, id);
    lua_pushcclosure(L, trampoline, 1);
}

void lumen_pop(lua_State *L, int n) { lua_pop(L, n); }
int lumen_upvalueindex(int i) { return lua_upvalueindex(i); }
int lumen_registryindex(void) { return LUA_REGISTRYINDEX; }
int lumen_pcall(lua_State *L, int nargs, int nresults, int msgh) { return lua_pcall(L, nargs, nresults, msgh); }
void lumen_newtable(lua_State *L) { lua_newtable(L); }
const char *lumen_tostring(lua_State *L, int index) { return lua_tostring(L, index); }
int lumen_gc_collect(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT, 0); }
int lumen_gc_count_kb(lua_State *L) { return lua_gc(L, LUA_GCCOUNT, 0); }
int lumen_isnoneornil(lua_State *L, int index) { return lua_isnoneornil(L, index); }

// The tensor metatable pointer lives in the state's extra space (shared by its coroutines).
static const void **metatable_slot(lua_State *L) { return (const void **)lua_getextraspace(L); }

void lumen_remember_tensor_metatable(lua_State *L, int index) {
    *metatable_slot(L) = lua_topointer(L, index);
    lua_pushvalue(L, index);
    lua_rawsetp(L, LUA_REGISTRYINDEX, (void *)metatable_slot);
}

void *lumen_tensor_box(lua_State *L, int index) {
    void **box = (void **)lua_touserdata(L, index);
    if (box == NULL || lua_type(L, index) != LUA_TUSERDATA || !lua_getmetatable(L, index)) return NULL;
    int match = lua_topointer(L, -1) == *metatable_slot(L);
    lua_pop(L, 1);
    return match ? *box : NULL;
}

void lumen_push_tensor_box(lua_State *L, void *box) {
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = box;
    lua_rawgetp(L, LUA_REGISTRYINDEX, (void *)metatable_slot);
    lua_setmetatable(L, -2);
}

/// Message handler: appends a traceback to string errors (as lua.c's msghandler).
static int msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int lumen_docall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);
    int was_running = running;
    lumen_set_running(1);
    int status = lua_pcall(L, nargs, nresults, base);
    lumen_set_running(was_running);
    lua_remove(L, base);
    return status;
}

int lumen_dostring(lua_State *L, const char *code, size_t length, const char *chunkname, int nresults) {
    int status = luaL_loadbuffer(L, code, length, chunkname);
    if (status != LUA_OK) return status;
    return lumen_docall(L, 0, nresults);
}

// ---- Ctrl-C -------------------------------------------------------------------------------

static lua_State *interrupt_state = 0;
static void (*interrupt_callback)(void) = 0;
static void (*idle_callback)(void) = 0;

void lumen_set_idle_interrupt(void (*callback)(void)) { idle_callback = callback; }
static volatile sig_atomic_t idle_interrupts = 0;

static void stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted");
}

static void on_sigint(int sig) {
    (void)sig;
    if (running && interrupt_state) {
        if (interrupt_callback) interrupt_callback();
        lua_sethook(interrupt_state, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    } else {
        idle_interrupts++;
        if (idle_callback) idle_callback();
    }
}

void lumen_install_sigint(lua_State *L, void (*on_interrupt)(void)) {
    interrupt_state = L;
    interrupt_callback = on_interrupt;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void lumen_set_running(int value) {
    running = value;
    if (!value && interrupt_state) lua_sethook(interrupt_state, NULL, 0, 0);
}

int lumen_take_idle_interrupts(void) {
    int n = idle_interrupts;
    idle_interrupts = 0;
    return n;
}
