/// Tensors made from sizes, values and ranges.
extension Tensor {
    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try Tensor(shape: shape, dtype: dtype, op: "zeros")
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try full(shape, 1, dtype: dtype)
    }

    /// Every element equal to `value` (converted to `dtype`).
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) throws -> Tensor {
        let out = try Tensor(shape: shape, dtype: dtype, zeroed: value == 0, op: "full")
        if value != 0 { out.fillContiguous(value) }
        return out
    }

    /// A 0-d tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        try full([], value, dtype: dtype)
    }

    /// `zeros`/`ones`/`full` shaped like `other`.
    public static func zeros(like other: Tensor) throws -> Tensor { try zeros(other.shape, dtype: other.dtype) }
    public static func ones(like other: Tensor) throws -> Tensor { try ones(other.shape, dtype: other.dtype) }

    /// Values `start, start+step, ...` below `end`. The dtype defaults to int64 when all three
    /// are integral, else float32 (as PyTorch).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType? = nil) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw EngineError("arange", "step must be non-zero and bounds finite; got start=\(start) end=\(end) step=\(step)")
        }
        guard (end - start) / step >= 0 else {
            throw EngineError("arange", "step \(step) has the wrong sign for start=\(start) end=\(end)")
        }
        let exactCount = ((end - start) / step).rounded(.up)
        guard exactCount < Double(1 << 40) else {
            throw EngineError("arange", "too many elements (\(exactCount)) for start=\(start) end=\(end) step=\(step)")
        }
        let count = Int(exactCount)
        let integral = [start, end, step].allSatisfy { $0 == $0.rounded() }
        let out = try Tensor(shape: [count], dtype: dtype ?? (integral ? .int64 : .float32), zeroed: false, op: "arange")
        out.fillContiguous { start + Double($0) * step }
        return out
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32) throws -> Tensor {
        guard steps >= 0 else { throw EngineError("linspace", "number of steps must be non-negative; got \(steps)") }
        let out = try Tensor(shape: [steps], dtype: dtype, zeroed: false, op: "linspace")
        let delta = steps > 1 ? (end - start) / Double(steps - 1) : 0
        // Fill from both ends so the last value is exactly `end`, as PyTorch does.
        let half = steps / 2
        out.fillContiguous { i in i < half ? start + delta * Double(i) : end - delta * Double(steps - 1 - i) }
        return out
    }

    /// Identity matrix of `n` rows and `m` (default `n`) columns.
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        let cols = m ?? n
        guard n >= 0, cols >= 0 else { throw EngineError("eye", "sizes must be non-negative; got \(n) x \(cols)") }
        let out = try Tensor(shape: [n, cols], dtype: dtype, op: "eye")
        out.fillContiguous { i in i / Swift.max(cols, 1) == i % Swift.max(cols, 1) ? 1 : 0 }
        return out
    }

    /// A tensor holding `values` (row-major) with `shape`, stored as `dtype`.
    public convenience init(_ values: [Double], shape: [Int], dtype: DType = .float32) throws {
        try self.init(shape: shape, dtype: dtype, zeroed: false, op: "tensor")
        guard values.count == numel else {
            throw EngineError("tensor", "\(values.count) values given for shape \(shapeString(shape)) (\(numel) elements)")
        }
        fillContiguous { values[$0] }
    }

    /// A float32 tensor from Float values.
    public convenience init(floats values: [Float], shape: [Int]) throws {
        try self.init(shape: shape, dtype: .float32, zeroed: false, op: "tensor")
        guard values.count == numel else {
            throw EngineError("tensor", "\(values.count) values given for shape \(shapeString(shape)) (\(numel) elements)")
        }
        values.withUnsafeBufferPointer { pointer(Float.self).update(from: $0.baseAddress!, count: values.count) }
    }

    /// Sets every element of this contiguous, freshly made tensor to `f(i)`.
    func fillContiguous(_ f: (Int) -> Double) {
        let n = numel
        switch dtype {
        case .float32: let p = pointer(Float.self); for i in 0..<n { p[i] = Float(f(i)) }
        case .float64: let p = pointer(Double.self); for i in 0..<n { p[i] = f(i) }
        case .int64: let p = pointer(Int64.self); for i in 0..<n { p[i] = Int64(fromDouble: f(i)) }
        case .int32: let p = pointer(Int32.self); for i in 0..<n { p[i] = Int32(fromDouble: f(i)) }
        case .int8: let p = pointer(Int8.self); for i in 0..<n { p[i] = Int8(fromDouble: f(i)) }
        case .uint8: let p = pointer(UInt8.self); for i in 0..<n { p[i] = UInt8(fromDouble: f(i)) }
        case .bool: let p = pointer(UInt8.self); for i in 0..<n { p[i] = f(i) != 0 ? 1 : 0 }
        }
    }

    func fillContiguous(_ value: Double) {
        let n = numel
        switch dtype {
        case .float32: pointer(Float.self).update(repeating: Float(value), count: n)
        case .float64: pointer(Double.self).update(repeating: value, count: n)
        case .int64: pointer(Int64.self).update(repeating: Int64(fromDouble: value), count: n)
        case .int32: pointer(Int32.self).update(repeating: Int32(fromDouble: value), count: n)
        case .int8: pointer(Int8.self).update(repeating: Int8(fromDouble: value), count: n)
        case .uint8: pointer(UInt8.self).update(repeating: UInt8(fromDouble: value), count: n)
        case .bool: pointer(UInt8.self).update(repeating: value != 0 ? 1 : 0, count: n)
        }
    }

    /// Sets every element to `value` in place (any layout). Not allowed on leaves requiring grad.
    public func fill(_ value: Double) throws {
        try checkInPlace("fill_")
        try assign(from: Tensor.scalar(value, dtype: dtype), op: "fill_")
    }

    /// In-place writes are refused on tensors that take part in autograd.
    func checkInPlace(_ op: String) throws {
        if requiresGrad && GradMode.isEnabled {
            throw EngineError(op, "in-place operation on a tensor that requires grad; use the out-of-place version or no_grad")
        }
    }
}

/// Reading values out.
extension Tensor {
    /// All elements in row-major order as Double (any dtype, any layout).
    public func toDoubles() throws -> [Double] {
        let c = try castCopy(to: .float64)
        return Array(UnsafeBufferPointer(start: c.pointer(Double.self), count: c.numel))
    }

    /// All elements as Float (converted).
    public func toFloats() throws -> [Float] {
        let c = try castCopy(to: .float32)
        return Array(UnsafeBufferPointer(start: c.pointer(Float.self), count: c.numel))
    }

    /// All elements as Int64 (converted, saturating).
    public func toInts() throws -> [Int64] {
        let c = try castCopy(to: .int64)
        return Array(UnsafeBufferPointer(start: c.pointer(Int64.self), count: c.numel))
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        guard numel == 1 else {
            throw EngineError("item", "only one-element tensors can be converted to a number; got shape \(shapeString(shape))")
        }
        return try value(at: [Int](repeating: 0, count: rank))
    }

    /// The element at a 0-based multi-index (negative indices count from the end).
    public func value(at index: [Int]) throws -> Double {
        guard index.count == rank else {
            throw EngineError("index", "expected \(rank) indices for shape \(shapeString(shape)); got \(index.count)")
        }
        var o = offset
        for d in 0..<rank {
            let i = index[d] < 0 ? index[d] + shape[d] : index[d]
            guard i >= 0 && i < shape[d] else {
                throw EngineError("index", "index \(index[d]) out of range for dim \(d) of size \(shape[d])")
            }
            o += i * strides[d]
        }
        switch dtype {
        case .float32: return storage.typed(Float.self)[o].asDouble
        case .float64: return storage.typed(Double.self)[o]
        case .int64: return storage.typed(Int64.self)[o].asDouble
        case .int32: return storage.typed(Int32.self)[o].asDouble
        case .int8: return storage.typed(Int8.self)[o].asDouble
        case .uint8, .bool: return storage.typed(UInt8.self)[o].asDouble
        }
    }
}
