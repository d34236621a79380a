import CLua
import Engine

/// Elementwise math, comparisons, selection by mask/index and matrix products.
enum TorchMath {
    static let bindings: [BindingEntry] = unaryFunctions + binaryFunctions + selection + products

    static let unaryFunctions: [BindingEntry] = [
        Bind.unary("neg") { try $0.neg() }, Bind.unary("abs") { try $0.abs() },
        Bind.unary("exp") { try $0.exp() }, Bind.unary("log") { try $0.log() },
        Bind.unary("log1p") { try $0.log1p() }, Bind.unary("sqrt") { try $0.sqrt() },
        Bind.unary("rsqrt") { try $0.rsqrt() }, Bind.unary("sin") { try $0.sin() },
        Bind.unary("cos") { try $0.cos() }, Bind.unary("tanh") { try $0.tanh() },
        Bind.unary("sigmoid") { try $0.sigmoid() }, Bind.unary("relu") { try $0.relu() },
        Bind.unary("gelu") { try $0.gelu() }, Bind.unary("silu") { try $0.silu() },
        Bind.unary("softplus") { try $0.softplus() },
        Bind.unary("square") { try $0.pow(scalar: 2) },
        Bind.unary("logical_not") { try $0.logicalNot() },
        .both("clamp") { lua in
            let x = try lua.tensor(1, "clamp")
            var lo = try lua.isOptionsTable(2) ? lua.optionNumber(2, "min", "clamp") : lua.optNumber(2, "clamp", "min")
            var hi = try lua.isOptionsTable(2) ? lua.optionNumber(2, "max", "clamp") : lua.optNumber(3, "clamp", "max")
            if lo == nil && hi == nil { lo = nil; hi = nil }
            lua.push(try x.clamp(min: lo, max: hi))
            return 1
        },
    ]

    static let binaryFunctions: [BindingEntry] = [
        Bind.binary("add", { try $0.add($1) }, { try $0.add(scalar: $1) }),
        Bind.binary("sub", { try $0.sub($1) }, { try $0.sub(scalar: $1) }),
        Bind.binary("mul", { try $0.mul($1) }, { try $0.mul(scalar: $1) }),
        Bind.binary("div", { try $0.div($1) }, { try $0.div(scalar: $1) }),
        Bind.binary("pow", { try $0.pow($1) }, { try $0.pow(scalar: $1) }),
        Bind.binary("maximum", { try $0.maximum($1) }, { try $0.maximum(Tensor.scalar($1, dtype: $0.dtype)) }),
        Bind.binary("minimum", { try $0.minimum($1) }, { try $0.minimum(Tensor.scalar($1, dtype: $0.dtype)) }),
        Bind.binary("eq", { try $0.eq($1) }, { try $0.eq(scalar: $1) }),
        Bind.binary("ne", { try $0.ne($1) }, { try $0.ne(scalar: $1) }),
        Bind.binary("lt", { try $0.lt($1) }, { try $0.lt(scalar: $1) }),
        Bind.binary("le", { try $0.le($1) }, { try $0.le(scalar: $1) }),
        Bind.binary("gt", { try $0.gt($1) }, { try $0.gt(scalar: $1) }),
        Bind.binary("ge", { try $0.ge($1) }, { try $0.ge(scalar: $1) }),
        Bind.binary("logical_and", { try $0.logicalAnd($1) }, { try $0.logicalAnd(Tensor.scalar($1, dtype: .bool)) }),
        Bind.binary("logical_or", { try $0.logicalOr($1) }, { try $0.logicalOr(Tensor.scalar($1, dtype: .bool)) }),
        Bind.binary("logical_xor", { try $0.logicalXor($1) }, { try $0.logicalXor(Tensor.scalar($1, dtype: .bool)) }),
    ]

    /// Operand `i` of `where`: a tensor, or a number as a 0-d tensor of `like`'s dtype.
    private static func operand(_ lua: Lua, _ i: Int32, like other: Tensor?) throws -> Tensor {
        if let t = lua.optTensor(i) { return t }
        let v = try lua.number(i, "where")
        let type: DType = other?.dtype ?? (v == v.rounded() ? .int64 : .float32)
        return try Tensor.scalar(v, dtype: type.isFloatingPoint || v == v.rounded() ? type : .float32)
    }

    static let selection: [BindingEntry] = [
        .both("where") { lua in
            let c = try lua.tensor(1, "where")
            let a = try operand(lua, 2, like: lua.optTensor(3))
            let b = try operand(lua, 3, like: a)
            lua.push(try Tensor.where(c, a, b))
            return 1
        },
        .both("masked_fill") { lua in
            lua.push(try lua.tensor(1, "masked_fill").maskedFill(mask: lua.tensor(2, "masked_fill"), value: lua.number(3, "masked_fill", "value")))
            return 1
        },
        .both("masked_select") { lua in
            lua.push(try lua.tensor(1, "masked_select").maskedSelect(mask: lua.tensor(2, "masked_select")))
            return 1
        },
        .both("index_select") { lua in
            let x = try lua.tensor(1, "index_select")
            let index = try TensorIndexing.zeroBased(lua.tensor(3, "index_select"), "index_select")
            lua.push(try x.indexSelect(dim: lua.dim(2, "index_select"), index: index))
            return 1
        },
        .both("gather") { lua in
            let x = try lua.tensor(1, "gather")
            let index = try TensorIndexing.zeroBased(lua.tensor(3, "gather"), "gather")
            lua.push(try x.gather(dim: lua.dim(2, "gather"), index: index))
            return 1
        },
        .both("scatter") { lua in
            let x = try lua.tensor(1, "scatter")
            let d = try lua.dim(2, "scatter")
            let index = try TensorIndexing.zeroBased(lua.tensor(3, "scatter"), "scatter")
            if let src = lua.optTensor(4) { lua.push(try x.scatter(dim: d, index: index, src: src)) }
            else { lua.push(try x.scatter(dim: d, index: index, value: lua.number(4, "scatter", "value"))) }
            return 1
        },
        .both("scatter_add") { lua in
            let x = try lua.tensor(1, "scatter_add")
            let index = try TensorIndexing.zeroBased(lua.tensor(3, "scatter_add"), "scatter_add")
            lua.push(try x.scatterAdd(dim: lua.dim(2, "scatter_add"), index: index, src: lua.tensor(4, "scatter_add")))
            return 1
        },
        .both("index_add") { lua in
            let x = try lua.tensor(1, "index_add")
            let index = try TensorIndexing.zeroBased(lua.tensor(3, "index_add"), "index_add")
            lua.push(try x.indexAdd(dim: lua.dim(2, "index_add"), index: index, source: lua.tensor(4, "index_add")))
            return 1
        },
        .both("nonzero") { lua in
            lua.push(try Bind.oneBased(lua.tensor(1, "nonzero").nonzero()))
            return 1
        },
    ]

    static let products: [BindingEntry] = [
        .both("matmul") { lua in lua.push(try lua.tensor(1, "matmul").matmul(lua.tensor(2, "matmul"))); return 1 },
        .both("mm") { lua in
            let a = try lua.tensor(1, "mm"), b = try lua.tensor(2, "mm")
            guard a.rank == 2, b.rank == 2 else {
                throw EngineError("mm", "expects two 2-d tensors; got \(shapeString(a.shape)) and \(shapeString(b.shape))")
            }
            lua.push(try a.matmul(b))
            return 1
        },
        .both("bmm") { lua in
            let a = try lua.tensor(1, "bmm"), b = try lua.tensor(2, "bmm")
            guard a.rank == 3, b.rank == 3, a.shape[0] == b.shape[0] else {
                throw EngineError("bmm", "expects two 3-d tensors with equal batch; got \(shapeString(a.shape)) and \(shapeString(b.shape))")
            }
            lua.push(try a.matmul(b))
            return 1
        },
        .both("mv") { lua in lua.push(try lua.tensor(1, "mv").matmul(lua.tensor(2, "mv"))); return 1 },
        .torch("linear") { lua in
            lua.push(try lua.tensor(1, "linear").linear(weight: lua.tensor(2, "linear"), bias: lua.optTensor(3)))
            return 1
        },
        .both("dot") { lua in lua.push(try lua.tensor(1, "dot").dot(lua.tensor(2, "dot"))); return 1 },
        .both("outer") { lua in lua.push(try lua.tensor(1, "outer").outer(lua.tensor(2, "outer"))); return 1 },
    ]
}
