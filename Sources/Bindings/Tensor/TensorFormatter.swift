import Engine
import Foundation

/// PyTorch-like printing: `tensor([[ 1.5000, -2.0000], ...], shape=(2,2), dtype=float32)`.
/// Tensors over 1000 elements show the first and last 3 entries of each dim around `...`.
enum TensorFormatter {
    static let summarizeAbove = 1000
    static let edgeItems = 3

    static func format(_ t: Tensor) -> String {
        let summarize = t.numel > summarizeAbove
        // Positions shown along each dim (nil = an elision marker).
        let shown: [[Int?]] = t.shape.map { size in
            summarize && size > 2 * edgeItems
                ? Array(0..<edgeItems) + [nil] + Array((size - edgeItems)..<size)
                : Array(0..<size)
        }
        var values: [Double] = []
        collect(t, shown, prefix: [], into: &values)
        let style = NumberStyle(values, dtype: t.dtype)
        let width = values.map { style.render($0).count }.max() ?? 1
        var body = ""
        write(t, shown, prefix: [], indent: 7, style: style, width: width, into: &body)
        var suffix = ", shape=\(shapeString(t.shape)), dtype=\(t.dtype.rawValue)"
        if let fn = t.gradFn { suffix += ", grad_fn=\(fn.name)" } else if t.requiresGrad { suffix += ", requires_grad=true" }
        return "tensor(\(body)\(suffix))"
    }

    private static func collect(_ t: Tensor, _ shown: [[Int?]], prefix: [Int], into values: inout [Double]) {
        if prefix.count == t.rank {
            values.append((try? t.value(at: prefix)) ?? .nan)
            return
        }
        for i in shown[prefix.count] { if let i { collect(t, shown, prefix: prefix + [i], into: &values) } }
    }

    private static func write(_ t: Tensor, _ shown: [[Int?]], prefix: [Int], indent: Int,
                              style: NumberStyle, width: Int, into out: inout String) {
        let depth = prefix.count
        if depth == t.rank {
            let s = style.render((try? t.value(at: prefix)) ?? .nan)
            out += String(repeating: " ", count: Swift.max(0, width - s.count)) + s
            return
        }
        out += "["
        let items = shown[depth]
        let innermost = depth == t.rank - 1
        for (k, item) in items.enumerated() {
            if k > 0 {
                if innermost { out += ", " } else {
                    out += "," + String(repeating: "\n", count: t.rank - depth - 1)
                    out += String(repeating: " ", count: indent + depth + 1)
                }
            }
            if let i = item {
                write(t, shown, prefix: prefix + [i], indent: indent, style: style, width: width, into: &out)
            } else {
                out += "..."
            }
        }
        out += "]"
    }
}

/// How numbers of one tensor are written: integers plain, floats with 4 decimals, or in
/// scientific notation when magnitudes are very large or small (as PyTorch chooses).
private struct NumberStyle {
    enum Kind { case integer, boolean, wholeFloat, fixed, scientific }
    let kind: Kind

    init(_ values: [Double], dtype: DType) {
        if dtype == .bool { kind = .boolean; return }
        if dtype.isInteger { kind = .integer; return }
        let finite = values.filter { $0.isFinite }
        let magnitudes = finite.map { Swift.abs($0) }.filter { $0 > 0 }
        let largest = magnitudes.max() ?? 0, smallest = magnitudes.min() ?? 0
        if finite.allSatisfy({ $0 == $0.rounded() }) && largest < 1e8 { kind = .wholeFloat }
        else if largest >= 1e8 || smallest < 1e-4 || (smallest > 0 && largest / smallest > 1e5) { kind = .scientific }
        else { kind = .fixed }
    }

    func render(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        switch kind {
        case .boolean: return v != 0 ? "true" : "false"
        case .integer: return String(Int64(v))
        case .wholeFloat: return String(Int64(v)) + "."
        case .fixed: return String(format: "%.4f", v)
        case .scientific: return String(format: "%.4e", v)
        }
    }
}
