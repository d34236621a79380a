/// A strided n-d view over reference-counted storage, with autograd state.
///
/// Views (transpose, narrow, expand, ...) share `storage`; copies own a new one. Indices and dims
/// are 0-based in Swift (the Lua bindings add one). Every op validates its arguments and throws
/// `EngineError`; nothing reachable from user input traps.
///
///     let x = try Tensor.randn([64, 4])
///     let w = try Tensor.zeros([4, 1]); try w.setRequiresGrad(true)
///     let loss = try (x.matmul(w).sigmoid() - 1).pow(2).mean()
///     try loss.backward()          // w.grad is (4,1)
public final class Tensor: @unchecked Sendable {
    public let storage: Storage
    public let shape: [Int]
    /// Strides in elements (0 for broadcast dims).
    public let strides: [Int]
    /// Offset of element [0,...,0] in `storage`, in elements.
    public let offset: Int

    /// Accumulated gradient of a leaf (or of a non-leaf that called `retainGrad`).
    public var grad: Tensor?
    /// How this tensor was computed; nil for leaves.
    public internal(set) var gradFn: GradFn?
    var leafRequiresGrad = false
    public internal(set) var retainsGrad = false

    public init(storage: Storage, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A fresh contiguous tensor (zero-filled when `zeroed`).
    public convenience init(shape: [Int], dtype: DType = .float32, zeroed: Bool = true, op: String = "alloc") throws {
        let n = try Shape.numel(shape, op: op)
        let storage = try Storage(count: n, dtype: dtype, zeroed: zeroed)
        self.init(storage: storage, shape: shape, strides: Shape.contiguousStrides(shape), offset: 0)
    }

    public var dtype: DType { storage.dtype }
    public var rank: Int { shape.count }
    public var numel: Int { shape.reduce(1, *) }
    public var isLeaf: Bool { gradFn == nil }
    public var requiresGrad: Bool { leafRequiresGrad || gradFn != nil }

    /// True when elements are laid out row-major without gaps (size-1 dims may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Marks a leaf as requiring grad (PyTorch's `requires_grad_`). Only floating-point leaves.
    public func setRequiresGrad(_ flag: Bool = true) throws {
        guard isLeaf else {
            throw EngineError("requires_grad_", "can only change requires_grad of leaf tensors; this one comes from \(gradFn!.name)")
        }
        if flag && !dtype.isFloatingPoint {
            throw EngineError("requires_grad_", "only floating point tensors can require gradients; got \(dtype)")
        }
        leafRequiresGrad = flag
    }

    /// Keeps `.grad` for this non-leaf tensor during backward.
    public func retainGrad() throws {
        guard requiresGrad else { throw EngineError("retain_grad", "tensor does not require grad") }
        if isLeaf { return }
        retainsGrad = true
        gradFn?.owner = self
    }

    /// A view of the same data cut off from the graph.
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Typed pointer to element [0,...,0]. The caller must pass this tensor's own element type.
    @inline(__always) func pointer<T: Element>(_: T.Type) -> UnsafeMutablePointer<T> {
        storage.typed(T.self) + offset
    }

    /// Offset (in elements, relative to `offset`) of a multi-index.
    @inline(__always) func elementOffset(_ index: [Int]) -> Int {
        var o = 0
        for d in 0..<index.count { o += index[d] * strides[d] }
        return o
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        "tensor(shape=\(shapeString(shape)), dtype=\(dtype)\(requiresGrad ? ", requires_grad" : ""))"
    }
}
