import CLua
import CLuaShim
import Engine

/// A Swift function callable from Lua: reads its arguments from `Lua`, pushes results, returns
/// their count, and throws (never longjmps) on bad input.
public typealias Binding = @Sendable (Lua) throws -> Int32

/// Where a binding is installed.
public enum BindingPlace: Sendable {
    /// A field of a global namespace table, e.g. `torch.zeros` → ("torch", "zeros").
    case namespace(String, String)
    /// A tensor method (`x:sum()`); also installed as `torch.<name>` when `alsoFunction`.
    case method(String, alsoFunction: Bool)
    /// A tensor metamethod (`__add`, `__index`, ...).
    case metamethod(String)
}

public struct BindingEntry: Sendable {
    public let place: BindingPlace
    public let function: Binding

    public init(_ place: BindingPlace, _ function: @escaping Binding) {
        self.place = place
        self.function = function
    }

    /// `torch.name(x, ...)` and `x:name(...)`.
    public static func both(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.method(name, alsoFunction: true), f)
    }

    public static func method(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.method(name, alsoFunction: false), f)
    }

    public static func torch(_ name: String, _ f: @escaping Binding) -> BindingEntry {
        BindingEntry(.namespace("torch", name), f)
    }
}

/// All bindings of the process, numbered by position (the number is the trampoline's upvalue).
/// Built once and never changed, so states on different threads may share it.
enum BindingTable {
    static let entries: [BindingEntry] =
        TensorUserdata.bindings + TensorIndexing.bindings + TorchCreation.bindings + TorchMath.bindings
        + TorchShape.bindings + TorchReduce.bindings + TorchAutograd.bindings + TorchIO.bindings
        + SystemBindings.bindings + CSVReader.bindings + OptimBindings.bindings + EnvsBindings.bindings
        + PlotBindings.bindings + DataGenBindings.bindings + VisionBindings.bindings + SequenceBindings.bindings
        + DeployExportBindings.bindings
        + DeployBindings.bindings
        + PlotDomainBindings.bindings
        + [ObjectUserdata.gc]

    /// Position of the object `__gc` binding (installed lazily with the object metatable).
    static let objectGCIndex = entries.count - 1

    /// The C-callable dispatcher: runs entry `id`; engine errors become Lua error messages.
    static let dispatcher: lumen_dispatch_fn = { state, id in
        guard let state else { return LUMEN_ERROR }
        let lua = Lua(state)
        do {
            return try entries[Int(id)].function(lua)
        } catch let error as EngineError {
            lua_pushstring(state, error.description)
        } catch {
            lua_pushstring(state, "\(error)")
        }
        return LUMEN_ERROR
    }
}
