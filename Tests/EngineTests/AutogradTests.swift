import XCTest
@testable import Engine

final class AutogradTests: XCTestCase {
    func testScalarBackwardAndAccumulation() throws {
        let w = try Tensor([1, 2], shape: [2]); try w.setRequiresGrad()
        let y = try w.mul(w).sum()
        try y.backward(retainGraph: true)
        try assertClose(XCTUnwrap(w.grad), [2, 4])
        try y.backward()
        try assertClose(XCTUnwrap(w.grad), [4, 8]) // gradients accumulate
    }

    func testBackwardThroughFreedGraphThrows() throws {
        let w = try leaf([2])
        let y = try w.exp().sum()
        try y.backward()
        assertEngineError("backward", "second time") { try y.backward() }
    }

    func testNonScalarNeedsGradient() throws {
        let w = try leaf([2])
        let y = try w.mul(scalar: 3)
        assertEngineError("backward", "one element") { try y.backward() }
        try y.backward(gradient: Tensor([1, 10], shape: [2], dtype: .float64))
        try assertClose(XCTUnwrap(w.grad), [3, 30])
        assertEngineError("backward", "does not match") { try w.mul(scalar: 2).backward(gradient: Tensor.zeros([3])) }
    }

    func testNoGradAndDetach() throws {
        let w = try leaf([2])
        let y = try GradMode.withoutGrad { try w.mul(scalar: 2) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertFalse(try w.detach().mul(scalar: 2).requiresGrad)
        assertEngineError("backward", "does not require grad") { try y.sum().backward() }
    }

    func testLeafRules() throws {
        let w = try leaf([2])
        let y = try w.add(scalar: 1)
        XCTAssertTrue(w.isLeaf)
        XCTAssertFalse(y.isLeaf)
        assertEngineError("requires_grad_", "leaf") { try y.setRequiresGrad(false) }
        assertEngineError("requires_grad_", "floating point") { try Tensor.zeros([2], dtype: .int64).setRequiresGrad() }
        assertEngineError("fill_", "requires grad") { try w.fill(0) }
        try y.sum().backward()
        XCTAssertNil(y.grad, "non-leaf grads are not kept by default")
    }

    func testRetainGrad() throws {
        let w = try leaf([2])
        let y = try w.mul(scalar: 2)
        try y.retainGrad()
        try y.sum().backward()
        try assertClose(XCTUnwrap(y.grad), [1, 1])
        try assertClose(XCTUnwrap(w.grad), [2, 2])
    }

    func testDiamondGraphSumsPaths() throws {
        let x = try leaf([3])
        let a = try x.mul(scalar: 2), b = try x.exp()
        let y = try a.add(b).mul(a).sum()
        try y.backward()
        // y = (2x + e^x) 2x → dy/dx = (2 + e^x) 2x + (2x + e^x) 2
        let xs = try x.toDoubles()
        try assertClose(XCTUnwrap(x.grad), xs.map { (2 + Foundation.exp($0)) * 2 * $0 + (2 * $0 + Foundation.exp($0)) * 2 })
    }

    func testLongChainDoesNotOverflowStack() throws {
        let x = try leaf([1])
        var y = x
        for _ in 0..<20_000 { y = try y.add(scalar: 0.0001) }
        try y.sum().backward()
        try assertClose(XCTUnwrap(x.grad), [1])
    }

    func testGraphIsFreedAfterBackward() throws {
        let before = MemoryStats.liveBytes
        do {
            let x = try leaf([256, 256])
            let y = try x.exp().mul(x).sum()
            try y.backward()
            XCTAssertNil(y.gradFn?.rule, "rule dropped after backward")
            XCTAssertNil(y.gradFn?.inputs.first)
        }
        XCTAssertLessThanOrEqual(MemoryStats.liveBytes, before)
    }

    func testLeafGradientsNeverAlias() throws {
        let a = try leaf([3]), b = try leaf([3], seed: 2)
        try a.add(b).sum().backward()
        let ga = try XCTUnwrap(a.grad), gb = try XCTUnwrap(b.grad)
        XCTAssertFalse(ga.storage === gb.storage, "add hands the same gradient to both inputs")
        try ga.fill(5)
        try assertClose(gb, [1, 1, 1])
        let seed = try Tensor([1, 1, 1], shape: [3], dtype: .float64)
        let c = try leaf([3], seed: 3)
        try c.mul(scalar: 1).backward(gradient: seed)
        XCTAssertFalse(try XCTUnwrap(c.grad).storage === seed.storage, "the caller's gradient is not adopted")
    }

    func testGradientDtypeFollowsLeaf() throws {
        let w = try Tensor([1, 2], shape: [2]); try w.setRequiresGrad()
        try w.to(.float64).mul(scalar: 2).sum().backward()
        XCTAssertEqual(w.grad?.dtype, .float32)
    }
}

import Foundation
