/// The hot elementwise functions as types (see `UnaryFunctor`): float arithmetic, affine scalar
/// maps and the unary math kinds. They let large kernels run on both cores at full speed.
struct AddFunctor<T: FloatElement>: BinaryFunctor {
    @inline(__always) func callAsFunction(_ x: T, _ y: T) -> T { x + y }
}

struct SubFunctor<T: FloatElement>: BinaryFunctor {
    @inline(__always) func callAsFunction(_ x: T, _ y: T) -> T { x - y }
}

struct MulFunctor<T: FloatElement>: BinaryFunctor {
    @inline(__always) func callAsFunction(_ x: T, _ y: T) -> T { x * y }
}

struct DivFunctor<T: FloatElement>: BinaryFunctor {
    @inline(__always) func callAsFunction(_ x: T, _ y: T) -> T { x / y }
}

/// x ↦ scale·x + shift (tensor ± number, number − tensor, tensor × number).
struct AffineFunctor<T: FloatElement>: UnaryFunctor {
    let scale: T, shift: T
    @inline(__always) func callAsFunction(_ x: T) -> T { scale * x + shift }
}

/// x ↦ x / d (kept as a division so results round like PyTorch's).
struct DivideByFunctor<T: FloatElement>: UnaryFunctor {
    let divisor: T
    @inline(__always) func callAsFunction(_ x: T) -> T { x / divisor }
}

/// x ↦ f(x) for one of the unary math kinds (the kind is loop-invariant, so the switch is
/// hoisted out of the loop by the optimizer).
struct UnaryMathFunctor<T: FloatElement>: UnaryFunctor {
    let kind: UnaryMath
    @inline(__always) func callAsFunction(_ x: T) -> T { UnaryMath.value(kind, x) }
}

/// (g, s) ↦ g · f'(s) for backward of the unary math kinds.
struct UnaryDerivativeFunctor<T: FloatElement>: BinaryFunctor {
    let kind: UnaryMath
    @inline(__always) func callAsFunction(_ g: T, _ s: T) -> T { g * UnaryMath.derivative(kind, s) }
}

/// max(x, 0), branch-free so the loop vectorizes (NaN propagates as in PyTorch).
struct ReluFunctor<T: FloatElement>: UnaryFunctor {
    @inline(__always) func callAsFunction(_ x: T) -> T { x > 0 || x.isNaN ? x : 0 }
}

/// g where x > 0, else 0: relu's backward, branch-free.
struct ReluDerivativeFunctor<T: FloatElement>: BinaryFunctor {
    @inline(__always) func callAsFunction(_ g: T, _ x: T) -> T { x > 0 ? g : 0 }
}
