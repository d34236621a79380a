/// In-place random fills, used by parameter initializers (`uniform_`, `normal_`). Values go in
/// row-major order of the tensor's shape, so a view gets the same values a contiguous tensor of
/// its shape would, whatever its strides.
extension Tensor {
    /// Overwrites every element with a draw from U[low, high). Floating-point tensors only; not
    /// allowed on tensors requiring grad unless grad mode is off.
    @discardableResult
    public func uniform_(low: Double = 0, high: Double = 1, generator: Generator = .default) throws -> Tensor {
        try checkRandomFill("uniform_")
        try Tensor.checkUniformBounds(low: low, high: high, dtype: dtype, op: "uniform_")
        try fillInPlace(op: "uniform_") { $0.fillUniformContiguous(low: low, high: high, generator: generator) }
        return self
    }

    /// Overwrites every element with a draw from N(mean, std²). Same rules as `uniform_`.
    @discardableResult
    public func normal_(mean: Double = 0, std: Double = 1, generator: Generator = .default) throws -> Tensor {
        try checkRandomFill("normal_")
        try Tensor.checkNormalParameters(mean: mean, std: std, op: "normal_")
        try fillInPlace(op: "normal_") { $0.fillNormalContiguous(mean: mean, std: std, generator: generator) }
        return self
    }

    private func checkRandomFill(_ op: String) throws {
        try checkInPlace(op)
        guard dtype.isFloatingPoint else {
            throw EngineError(op, "expected a floating point tensor (float32 or float64); got \(dtype)")
        }
    }

    /// Runs a contiguous fill on this tensor directly when its elements form one dense block,
    /// else on a temporary that is then copied in.
    private func fillInPlace(op: String, _ fill: (Tensor) -> Void) throws {
        if isContiguous {
            fill(makeView(shape: shape, strides: Shape.contiguousStrides(shape), offset: offset))
            storage.bumpVersion()
        } else {
            let tmp = try Tensor(shape: shape, dtype: dtype, zeroed: false, op: op)
            fill(tmp)
            try assign(from: tmp, op: op)
        }
    }
}
