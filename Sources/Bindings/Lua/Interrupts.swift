import CLuaShim
import Engine

extension LuaState {
    /// Ctrl-C stops the running chunk (a Lua hook raises "interrupted") and asks engine kernels
    /// to stop at their next check; the process survives.
    public func installInterruptHandler() {
        lumen_install_sigint(L) { Interrupt.request() }
    }
}
