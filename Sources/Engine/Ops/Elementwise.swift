/// An elementwise function as a type, so kernels specialize on it across the thread boundary
/// (a closure captured by a parallel task is called indirectly per element; a functor inlines).
protocol UnaryFunctor {
    associatedtype Input: Element
    associatedtype Output: Element
    func callAsFunction(_ x: Input) -> Output
}

protocol BinaryFunctor {
    associatedtype Input: Element
    associatedtype Output: Element
    func callAsFunction(_ x: Input, _ y: Input) -> Output
}

/// A closure as a functor, for the single-threaded closure variants.
struct UnaryClosure<Input: Element, Output: Element>: UnaryFunctor {
    let body: (Input) -> Output
    @inline(__always) func callAsFunction(_ x: Input) -> Output { body(x) }
}

struct BinaryClosure<Input: Element, Output: Element>: BinaryFunctor {
    let body: (Input, Input) -> Output
    @inline(__always) func callAsFunction(_ x: Input, _ y: Input) -> Output { body(x, y) }
}

/// Generic elementwise loops over strided operands. Operands arrive already broadcast to the
/// output's shape and converted to the kernel's element type; the output is contiguous.
/// Closure-taking variants run on the calling thread (the closure inlines there); functor
/// variants split large work over both cores.
enum Elementwise {
    /// out[i] = f(a[i]) on both cores for large work.
    @inline(__always)
    static func map<F: UnaryFunctor>(_ a: Tensor, into out: Tensor, functor f: F, parallel: Bool = true) {
        let pa = a.storage.typed(F.Input.self), po = out.pointer(F.Output.self)
        if a.isContiguous && a.numel == out.numel {
            let x = pa + a.offset
            run(count: out.numel, parallel: parallel) { range in for i in range { po[i] = f(x[i]) } }
            return
        }
        let loop = StridedLoop(shape: out.shape, strides: [out.strides, a.strides], offsets: [0, a.offset])
        let so = loop.rowStrides[0], sa = loop.rowStrides[1]
        loop.run(parallel: parallel) { o, n in
            let z = po + o[0], x = pa + o[1]
            for i in 0..<n { z[i * so] = f(x[i * sa]) }
        }
    }

    /// out[i] = f(a[i], b[i]) on both cores for large work.
    @inline(__always)
    static func map<F: BinaryFunctor>(_ a: Tensor, _ b: Tensor, into out: Tensor, functor f: F, parallel: Bool = true) {
        let pa = a.storage.typed(F.Input.self), pb = b.storage.typed(F.Input.self), po = out.pointer(F.Output.self)
        if a.isContiguous && b.isContiguous && a.numel == out.numel && b.numel == out.numel {
            let x = pa + a.offset, y = pb + b.offset
            run(count: out.numel, parallel: parallel) { range in for i in range { po[i] = f(x[i], y[i]) } }
            return
        }
        let loop = StridedLoop(shape: out.shape, strides: [out.strides, a.strides, b.strides],
                               offsets: [0, a.offset, b.offset])
        let so = loop.rowStrides[0], sa = loop.rowStrides[1], sb = loop.rowStrides[2]
        loop.run(parallel: parallel) { o, n in
            let z = po + o[0], x = pa + o[1], y = pb + o[2]
            if sa == 1 && sb == 0 {
                let s = y[0]
                for i in 0..<n { z[i * so] = f(x[i], s) }
            } else if sa == 0 && sb == 1 {
                let s = x[0]
                for i in 0..<n { z[i * so] = f(s, y[i]) }
            } else {
                for i in 0..<n { z[i * so] = f(x[i * sa], y[i * sb]) }
            }
        }
    }

    /// out[i] = f(a[i]) on the calling thread (the closure inlines there).
    @inline(__always)
    static func map<T: Element, R: Element>(_ a: Tensor, into out: Tensor, _ f: (T) -> R) {
        withoutActuallyEscaping(f) { f in map(a, into: out, functor: UnaryClosure(body: f), parallel: false) }
    }

    /// out[i] = f(a[i], b[i]) on the calling thread.
    @inline(__always)
    static func map<T: Element, R: Element>(_ a: Tensor, _ b: Tensor, into out: Tensor, _ f: (T, T) -> R) {
        withoutActuallyEscaping(f) { f in map(a, b, into: out, functor: BinaryClosure(body: f), parallel: false) }
    }

    /// out[i] = f(c[i], a[i], b[i]) with a bool condition `c` (for `where`).
    @inline(__always)
    static func map<T: Element>(_ c: Tensor, _ a: Tensor, _ b: Tensor, into out: Tensor, _ f: (UInt8, T, T) -> T) {
        let pc = c.storage.typed(UInt8.self), pa = a.storage.typed(T.self), pb = b.storage.typed(T.self)
        let po = out.pointer(T.self)
        let loop = StridedLoop(shape: out.shape, strides: [out.strides, c.strides, a.strides, b.strides],
                               offsets: [0, c.offset, a.offset, b.offset])
        let so = loop.rowStrides[0], sc = loop.rowStrides[1], sa = loop.rowStrides[2], sb = loop.rowStrides[3]
        loop.forEachRow(in: 0..<loop.rowCount) { o, n in
            let z = po + o[0], w = pc + o[1], x = pa + o[2], y = pb + o[3]
            for i in 0..<n { z[i * so] = f(w[i * sc], x[i * sa], y[i * sb]) }
        }
    }

    /// Runs a flat loop over `count` elements, on both cores when large.
    @inline(__always)
    static func run(count: Int, parallel: Bool = true, _ body: (Range<Int>) -> Void) {
        if parallel && count >= Parallel.elementwiseThreshold {
            Parallel.forRanges(count: count, body)
        } else {
            body(0..<count)
        }
    }
}
