import Bindings
struct Repl {
    let state: LuaState
    func run() {}
}
