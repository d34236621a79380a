import XCTest
@testable import Engine

/// softmax(q kᵀ · scale + additive) v composed from primitive ops.
func referenceAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, additive: Tensor? = nil, scale: Double,
                        keep: Tensor? = nil) throws -> Tensor {
    var scores = try q.matmul(k.transpose(-1, -2)).mul(scalar: scale)
    if let additive { scores = try scores.add(additive) }
    var p = try scores.softmax(dim: -1)
    if let keep { p = try p.mul(keep) }
    return try p.matmul(v)
}

/// (L, S) additive causal mask: 0 where j <= i + offset, -inf elsewhere.
func causalAdditive(_ l: Int, _ s: Int, offset: Int = 0) throws -> Tensor {
    var values: [Double] = []
    for i in 0..<l { for j in 0..<s { values.append(j <= i + offset ? 0 : -.infinity) } }
    return try Tensor(values, shape: [l, s], dtype: .float64)
}

final class AttentionTests: XCTestCase {
    func testMatchesCompositionWithMasks() throws {
        let q = try leaf([2, 3, 4, 5], seed: 1), k = try leaf([2, 3, 6, 5], seed: 2), v = try leaf([2, 3, 6, 3], seed: 3)
        let scale = 1 / 5.0.squareRoot()
        // A boolean mask (true = attend) broadcast over batch and heads, never fully masked.
        var bools: [Double] = []
        for i in 0..<4 { for j in 0..<6 { bools.append((i + j) % 3 == 0 || j == 0 ? 1 : 0) } }
        let mask = try Tensor(bools, shape: [4, 6], dtype: .bool)
        let additive = try Tensor(bools.map { $0 == 1 ? 0 : -.infinity }, shape: [4, 6], dtype: .float64)
        let cases: [(Tensor?, Bool, Tensor?)] = [
            (nil, false, nil),
            (mask, false, additive),
            (nil, true, try causalAdditive(4, 6)),
            (try leaf([3, 1, 6], seed: 9), false, try leaf([3, 1, 6], seed: 9).detach()),
        ]
        for (m, causal, reference) in cases {
            let fused = try Functional.scaledDotProductAttention(q, k, v, mask: m, causal: causal)
            let ref = try referenceAttention(q, k, v, additive: reference, scale: scale)
            try assertClose(fused, ref.toDoubles(), shape: [2, 3, 4, 3], rtol: 1e-12, atol: 1e-12)
            let w = try leaf([2, 3, 4, 3], seed: 17).detach()
            try fused.mul(w).sum().backward()
            let grads = try [q, k, v].map { try XCTUnwrap($0.grad).toDoubles() }
            for t in [q, k, v] { t.grad = nil }
            try ref.mul(w).sum().backward()
            for (i, t) in [q, k, v].enumerated() { try assertClose(XCTUnwrap(t.grad), grads[i], rtol: 1e-10, atol: 1e-12) }
            for t in [q, k, v] { t.grad = nil }
        }
    }

    func testGradcheck() throws {
        let q = try leaf([2, 3, 4], seed: 4), k = try leaf([2, 5, 4], seed: 5), v = try leaf([2, 5, 2], seed: 6)
        try assertGradcheck([q, k, v]) { t in try Functional.scaledDotProductAttention(t[0], t[1], t[2]) }
        try assertGradcheck([q, k, v]) { t in try Functional.scaledDotProductAttention(t[0], t[1], t[2], causal: true, scale: 0.7) }
        let kq = try leaf([2, 4, 4], seed: 7)
        try assertGradcheck([q, kq]) { t in try Functional.scaledDotProductAttention(t[0], t[1], t[1], causal: true) }
    }

    /// Dropout multiplies the probabilities by the Bernoulli mask drawn from the generator.
    func testDropoutUsesTheGeneratorMask() throws {
        let q = try leaf([3, 4, 2], seed: 1), k = try leaf([3, 5, 2], seed: 2), v = try leaf([3, 5, 3], seed: 3)
        let g = Generator(seed: 5)
        let y = try Functional.scaledDotProductAttention(q, k, v, dropout: 0.3, generator: g)
        g.manualSeed(5)
        let keep = try Tensor.bernoulli([3, 4, 5], p: 0.7, dtype: .float64, generator: g).mul(scalar: 1 / 0.7)
        let ref = try referenceAttention(q, k, v, scale: 1 / 2.0.squareRoot(), keep: keep)
        try assertClose(y, ref.toDoubles(), rtol: 1e-12, atol: 1e-12)
        try y.sum().backward()
        let grads = try [q, k, v].map { try XCTUnwrap($0.grad).toDoubles() }
        for t in [q, k, v] { t.grad = nil }
        try ref.sum().backward()
        for (i, t) in [q, k, v].enumerated() { try assertClose(XCTUnwrap(t.grad), grads[i], rtol: 1e-10, atol: 1e-12) }
    }

    func testFullyMaskedRowsGiveZeros() throws {
        let q = try leaf([1, 2, 2], seed: 1), k = try leaf([1, 3, 2], seed: 2), v = try leaf([1, 3, 2], seed: 3)
        let mask = try Tensor([0, 0, 0, 1, 0, 1], shape: [2, 3], dtype: .bool)
        let y = try Functional.scaledDotProductAttention(q, k, v, mask: mask)
        let values = try y.toDoubles()
        XCTAssertEqual(Array(values[0..<2]), [0, 0])
        XCTAssertFalse(values.contains { $0.isNaN })
        try y.sum().backward()
        XCTAssertFalse(try XCTUnwrap(q.grad).toDoubles().contains { $0.isNaN })
    }

    /// The multi-head core equals per-head attention on explicitly split heads, with key padding,
    /// a boolean attn_mask (true = blocked), a causal offset and the returned weights.
    func testMultiHeadMatchesSplitHeads() throws {
        let b = 2, l = 3, s = 4, heads = 2, e = 3
        let q = try leaf([b, l, heads * e], seed: 1), k = try leaf([b, s, heads * e], seed: 2), v = try leaf([b, s, heads * 2], seed: 3)
        let padding = try Tensor([0, 0, 0, 1, 0, 0, 0, 0], shape: [b, s], dtype: .bool)
        let blocked = try Tensor([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], shape: [l, s], dtype: .bool)
        let r = try Functional.multiHeadAttention(query: q, key: k, value: v, heads: heads, attnMask: blocked,
                                                  keyPaddingMask: padding, causalOffset: 1, needWeights: true)
        XCTAssertEqual(r.output.shape, [b, l, heads * 2])
        XCTAssertEqual(r.weights?.shape, [b, heads, l, s])
        func split(_ t: Tensor, _ width: Int) throws -> Tensor {
            try t.reshape([b, t.shape[1], heads, width]).permute([0, 2, 1, 3])
        }
        var additive = try causalAdditive(l, s, offset: 1)
        additive = try additive.add(Tensor(try blocked.toDoubles().map { $0 == 1 ? -.infinity : 0 }, shape: [l, s], dtype: .float64))
        let pad = try Tensor(try padding.toDoubles().map { $0 == 1 ? -.infinity : 0 }, shape: [b, 1, 1, s], dtype: .float64)
        let refHeads = try referenceAttention(split(q, e), split(k, e), split(v, 2), additive: additive.add(pad), scale: 1 / 3.0.squareRoot())
        let ref = try refHeads.permute([0, 2, 1, 3]).reshape([b, l, heads * 2])
        try assertClose(r.output, ref.toDoubles(), rtol: 1e-12, atol: 1e-12)
        try assertGradcheck([q, k, v]) { t in
            let m = try Functional.multiHeadAttention(query: t[0], key: t[1], value: t[2], heads: heads, attnMask: blocked,
                                                      keyPaddingMask: padding, causalOffset: 1, needWeights: true)
            return try Tensor.cat([m.output.reshape([-1]), XCTUnwrap(m.weights).mul(scalar: 2).reshape([-1])], dim: 0)
        }
    }

    /// Queries and keys as strided column blocks of one packed projection (as after in_proj).
    func testMultiHeadOnPackedProjection() throws {
        let x = try leaf([2, 5, 12], seed: 8)
        try assertGradcheck([x]) { t in
            let qkv = try t[0].chunk(3, dim: 2)
            return try Functional.multiHeadAttention(query: qkv[0], key: qkv[1], value: qkv[2], heads: 2, causalOffset: 0).output
        }
        try assertGradcheck([x]) { t in
            let qkv = try t[0].chunk(3, dim: 2)
            return try Functional.multiHeadAttention(query: qkv[0], key: qkv[1], value: qkv[2], heads: 2, dropout: 0.2,
                                                     needWeights: true, generator: Generator(seed: 3)).weights!
        }
    }

    /// The packed self-attention path equals attention on the three column blocks, and its
    /// gradient arrives as one (B, L, 3D) tensor.
    func testPackedSelfAttention() throws {
        let x = try leaf([2, 4, 12], seed: 21)
        let mask = try Tensor([0, 0, 1, 0, 0, 0, 0, 0], shape: [2, 4], dtype: .bool)
        let packed = try Functional.multiHeadSelfAttention(packed: x, heads: 2, keyPaddingMask: mask, causalOffset: 0)
        try packed.output.sum().backward()
        let g = try XCTUnwrap(x.grad).toDoubles()
        x.grad = nil
        let parts = try x.chunk(3, dim: 2)
        let split = try Functional.multiHeadAttention(query: parts[0], key: parts[1], value: parts[2], heads: 2,
                                                      keyPaddingMask: mask, causalOffset: 0)
        try assertClose(packed.output, split.output.toDoubles(), rtol: 1e-12, atol: 1e-12)
        try split.output.sum().backward()
        try assertClose(XCTUnwrap(x.grad), g, rtol: 1e-12, atol: 1e-12)
        try assertGradcheck([x]) { t in
            let r = try Functional.multiHeadSelfAttention(packed: t[0].transpose(0, 1).transpose(0, 1), heads: 4,
                                                          causalOffset: 0, needWeights: true)
            return try Tensor.cat([r.output.reshape([-1]), XCTUnwrap(r.weights).reshape([-1])], dim: 0)
        }
        assertEngineError("multi_head_attention", "packed projection") {
            _ = try Functional.multiHeadSelfAttention(packed: Tensor.zeros([2, 4, 10]), heads: 2)
        }
    }

    func testErrors() {
        assertEngineError("scaled_dot_product_attention", "shapes do not fit") {
            _ = try Functional.scaledDotProductAttention(Tensor.zeros([2, 3, 4]), Tensor.zeros([2, 5, 3]), Tensor.zeros([2, 5, 2]))
        }
        assertEngineError("multi_head_attention", "divisible by num_heads=3") {
            _ = try Functional.multiHeadAttention(query: Tensor.zeros([1, 2, 4]), key: Tensor.zeros([1, 2, 4]), value: Tensor.zeros([1, 2, 4]), heads: 3)
        }
        assertEngineError("multi_head_attention", "key_padding_mask") {
            _ = try Functional.multiHeadAttention(query: Tensor.zeros([1, 2, 4]), key: Tensor.zeros([1, 3, 4]), value: Tensor.zeros([1, 3, 4]),
                                                  heads: 2, keyPaddingMask: Tensor.zeros([1, 2], dtype: .bool))
        }
        assertEngineError("scaled_dot_product_attention", "boolean or floating point") {
            _ = try Functional.scaledDotProductAttention(Tensor.zeros([2, 4]), Tensor.zeros([3, 4]), Tensor.zeros([3, 4]),
                                                         mask: Tensor.zeros([2, 3], dtype: .int64))
        }
    }
}
