#if canImport(Glibc)
import Glibc
#endif

/// The nine WM-811K failure-pattern classes, in the dataset's (alphabetical) order.
public enum WaferPattern: Int, CaseIterable, Sendable {
    case center, donut, edgeLoc, edgeRing, loc, nearFull, random, scratch, none

    /// The WM-811K spelling: `Center`, `Edge-Loc`, `none`, ...
    public var name: String {
        switch self {
        case .center: return "Center"
        case .donut: return "Donut"
        case .edgeLoc: return "Edge-Loc"
        case .edgeRing: return "Edge-Ring"
        case .loc: return "Loc"
        case .nearFull: return "Near-full"
        case .random: return "Random"
        case .scratch: return "Scratch"
        case .none: return "none"
        }
    }

    public init?(name: String) {
        let key = String(name.lowercased().map { $0 == "_" ? "-" : $0 })
        guard let match = WaferPattern.allCases.first(where: { $0.name.lowercased() == key }) else { return nil }
        self = match
    }

    /// A realistic production skew, softened from WM-811K's labelled part (where `none` is 85%):
    /// `none` dominates, Edge-Ring/Edge-Loc are common, Donut and Near-full rare.
    public var realisticWeight: Double {
        switch self {
        case .none: return 0.52
        case .edgeRing: return 0.12
        case .edgeLoc: return 0.09
        case .center: return 0.08
        case .loc: return 0.075
        case .scratch: return 0.045
        case .random: return 0.035
        case .donut: return 0.02
        case .nearFull: return 0.01
        }
    }

    /// Patterns that can be overlaid in mixed maps (as in MixedWM38).
    var isMixable: Bool { [.center, .donut, .edgeLoc, .edgeRing, .loc, .scratch].contains(self) }

    /// Whether a bounding box describes this pattern (Random and none have no defect cluster).
    var hasBox: Bool { self != .random && self != .none }
}

/// A defect-cluster box in die coordinates: columns `x1...x2`, rows `y1...y2`, 0-based and
/// inclusive (the bindings add one), with the index of its class in the call's class list.
public struct WaferBox: Sendable, Equatable {
    public var x1: Int, y1: Int, x2: Int, y2: Int
    public var label: Int
}

public struct WaferMapOptions: Sendable {
    /// Number of maps.
    public var count = 1000
    /// Die-grid side (the wafer is the disc inscribed in the size × size grid).
    public var size = 32
    /// The classes to draw; labels index this list.
    public var classes: [WaferPattern] = WaferPattern.allCases
    public var seed: UInt64 = 0
    /// Relative class frequencies (one per class in `classes`); nil for exact balance.
    public var weights: [Double]? = nil
    /// Fab/tool shift strength 0...1: background fail rate, edge roll-off, pattern contrast and
    /// size statistics, a reticle signature and a preferred Edge-Loc angle all change with it
    /// (Lua's `shift = true` is 0.6: a CNN trained on unshifted maps loses 10–20 points).
    public var shift = 0.0
    /// Fraction 0...1 of mixable maps that get a second, compatible pattern overlaid.
    public var mixed = 0.0
    /// Die states as int64 codes 0 off-wafer / 1 pass / 2 fail instead of float 0 / 0.5 / 1.
    public var asCodes = false

    public init() {}
}

public struct WaferMapSet {
    /// `(n, 1, size, size)`: float32 0 / 0.5 / 1 or int64 0 / 1 / 2 (`asCodes`).
    public let maps: Tensor
    /// `(n)` int64, 0-based index into `classNames` (the primary pattern of mixed maps).
    public let labels: Tensor
    /// `(n, K)` float32 multi-hot labels (one-hot for single-pattern maps).
    public let multiHot: Tensor
    public let classNames: [String]
    /// Defect-cluster boxes of each map (none for `none` and Random).
    public let boxes: [[WaferBox]]
    /// The patterns of each map as class indices (two for mixed maps).
    public let patterns: [[Int]]
}

/// WM-811K-like wafer bin maps with realistic variation: position, size, thickness, arc length,
/// rotation, density, background fail rate and partial patterns, so the classes overlap a
/// little, as real maps do.
///
///     var o = WaferMapOptions(); o.count = 900; o.size = 32; o.seed = 7
///     let set = try WaferMaps.generate(o)     // set.maps (900,1,32,32), set.labels (900)
public enum WaferMaps {
    static let op = "wafer_maps"

    public static func generate(_ options: WaferMapOptions) throws -> WaferMapSet {
        let n = options.count, s = options.size
        try DataCheck.range(op, "n", n, 1...10_000_000)
        try DataCheck.range(op, "size", s, 16...256)
        try DataCheck.range(op, "shift", options.shift, 0...1)
        try DataCheck.range(op, "mixed", options.mixed, 0...1)
        try DataCheck.budget(op, n * s * s, "the maps")
        let classes = options.classes
        guard !classes.isEmpty else { throw EngineError(op, "classes must name at least one pattern") }
        guard Set(classes).count == classes.count else {
            throw EngineError(op, "classes must not repeat a pattern; got \(classes.map(\.name))")
        }
        var proportions = [Double](repeating: 1, count: classes.count)
        if let w = options.weights {
            guard w.count == classes.count else {
                throw EngineError(op, "imbalance needs one weight per class (\(classes.count)); got \(w.count)")
            }
            guard w.allSatisfy({ $0.isFinite && $0 >= 0 }), w.contains(where: { $0 > 0 }) else {
                throw EngineError(op, "imbalance weights must be non-negative with a positive sum; got \(w)")
            }
            proportions = w
        }

        var master = DataRNG(seed: options.seed)
        let labels = shuffledLabels(counts: exactCounts(total: n, proportions: proportions), rng: &master)
        // Second patterns of mixed maps, chosen up front so they depend on the seed only.
        let mixable = classes.indices.filter { classes[$0].isMixable }
        var patterns = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            let k = labels[i]
            patterns[i] = [k]
            if classes[k].isMixable && options.mixed > 0 && master.uniform() < options.mixed {
                let partners = mixable.filter { compatible(classes[k], classes[$0]) }
                if !partners.isEmpty { patterns[i].append(master.choice(partners)) }
            }
        }

        let codes = options.asCodes
        let maps = try Tensor(shape: [n, 1, s, s], dtype: codes ? .int64 : .float32, op: op)
        let multiHot = try Tensor(shape: [n, classes.count], dtype: .float32, op: op)
        var boxes = [[WaferBox]](repeating: [], count: n)
        let floats = codes ? nil : maps.pointer(Float.self)
        let ints = codes ? maps.pointer(Int64.self) : nil
        let hot = multiHot.pointer(Float.self)
        boxes.withUnsafeMutableBufferPointer { boxOut in
            Parallel.forRanges(count: n) { range in
                var states = [UInt8](repeating: 0, count: s * s)
                for i in range where !Interrupt.isRequested {
                    var rng = DataRNG(seed: options.seed, stream: i)
                    let kinds = patterns[i].map { classes[$0] }
                    let made = drawMap(size: s, kinds: kinds, labels: patterns[i], shift: options.shift,
                                       rng: &rng, states: &states)
                    boxOut[i] = made
                    let base = i * s * s
                    if let floats {
                        for j in 0..<(s * s) { floats[base + j] = states[j] == 0 ? 0 : (states[j] == 1 ? 0.5 : 1) }
                    } else if let ints {
                        for j in 0..<(s * s) { ints[base + j] = Int64(states[j]) }
                    }
                    for k in patterns[i] { hot[i * classes.count + k] = 1 }
                }
            }
        }
        try Interrupt.check(op)
        let labelTensor = try Tensor(labels.map(Double.init), shape: [n], dtype: .int64)
        return WaferMapSet(maps: maps, labels: labelTensor, multiHot: multiHot, classNames: classes.map(\.name),
                           boxes: boxes, patterns: patterns)
    }

    /// Pairs MixedWM38 never combines: Center inside Donut, and the two edge patterns.
    static func compatible(_ a: WaferPattern, _ b: WaferPattern) -> Bool {
        if a == b { return false }
        let pair = Set([a, b])
        return pair != [.center, .donut] && pair != [.edgeLoc, .edgeRing]
    }

    // MARK: one map

    /// Position of a die in wafer units: `u, v` scaled by the radius, polar `rho, theta`.
    struct Die {
        var u: Double, v: Double, rho: Double, theta: Double
    }

    /// A defect component: fail probability of each die, its class index, and the least number
    /// of fail dies that still reads as the pattern.
    struct Component {
        var probability: (Die) -> Double
        var label: Int
        var minimumFails: Int
        var boxed: Bool
    }

    @inline(__always) static func soft(_ x: Double, _ width: Double) -> Double { 1 / (1 + exp(-x / width)) }

    /// Smallest absolute difference of two angles, in [0, π].
    @inline(__always) static func angleGap(_ a: Double, _ b: Double) -> Double {
        var d = (a - b).truncatingRemainder(dividingBy: 2 * .pi)
        if d < 0 { d += 2 * .pi }
        return min(d, 2 * .pi - d)
    }

    /// Fills `states` (0 off, 1 pass, 2 fail) for one map and returns its boxes.
    static func drawMap(size s: Int, kinds: [WaferPattern], labels: [Int], shift: Double,
                        rng: inout DataRNG, states: inout [UInt8]) -> [WaferBox] {
        let center = Double(s - 1) / 2
        let radius = Double(s) / 2 * rng.uniform(0.95, 1.0) * (1 - 0.05 * shift)
        let dieUnit = 1 / radius
        let notch = rng.bernoulli(0.6)
        var dies: [Die?] = []
        dies.reserveCapacity(s * s)
        for y in 0..<s {
            for x in 0..<s {
                let u = (Double(x) - center) / radius, v = (Double(y) - center) / radius
                let rho = (u * u + v * v).squareRoot()
                let theta = atan2(v, u)
                let inNotch = notch && rho > 0.93 && angleGap(theta, .pi / 2) < 0.1
                dies.append(rho <= 1 && !inNotch ? Die(u: u, v: v, rho: rho, theta: theta) : nil)
            }
        }

        // Background: random fails, more at the rim; a fab shift adds a reticle signature.
        let background = exp(rng.uniform(log(0.01), log(0.05))) * (1 + 1.2 * shift)
        let edgeBoost = rng.uniform(0, 1.5) + 3 * shift
        let reticleX = 4 + rng.int(3), reticleY = 5 + rng.int(3)
        func backgroundRate(_ d: Die, _ x: Int, _ y: Int) -> Double {
            var p = background * (1 + edgeBoost * pow(d.rho, 8))
            if shift > 0 && (x % reticleX == 0 || y % reticleY == 0) { p += 0.05 * shift }
            return min(p, 0.9)
        }

        for attempt in 0..<30 {
            var components: [Component] = []
            for (kind, label) in zip(kinds, labels) {
                components += makeComponents(kind, label: label, dieUnit: dieUnit, shift: shift, rng: &rng)
            }
            var fails = [[Int]](repeating: [], count: components.count)
            for j in 0..<(s * s) {
                guard let d = dies[j] else { states[j] = 0; continue }
                var failed = rng.uniform() < backgroundRate(d, j % s, j / s)
                for (c, component) in components.enumerated() where rng.uniform() < component.probability(d) {
                    failed = true
                    fails[c].append(j)
                }
                states[j] = failed ? 2 : 1
            }
            let short = components.indices.contains { fails[$0].count < components[$0].minimumFails }
            if short && attempt < 29 { continue }
            var boxes: [WaferBox] = []
            for (c, component) in components.enumerated() where component.boxed {
                var members = fails[c]
                if members.isEmpty {
                    // Last resort: the most likely die of the component fails.
                    var best = -1, bestP = -1.0
                    for j in 0..<(s * s) {
                        guard let d = dies[j] else { continue }
                        let p = component.probability(d)
                        if p > bestP { best = j; bestP = p }
                    }
                    if best >= 0 { states[best] = 2; members = [best] }
                }
                guard !members.isEmpty else { continue }
                var box = WaferBox(x1: s, y1: s, x2: -1, y2: -1, label: component.label)
                for j in members {
                    box.x1 = min(box.x1, j % s); box.x2 = max(box.x2, j % s)
                    box.y1 = min(box.y1, j / s); box.y2 = max(box.y2, j / s)
                }
                boxes.append(box)
            }
            return boxes
        }
        return []
    }

    /// Random parameters of one pattern, as one or more components.
    static func makeComponents(_ kind: WaferPattern, label: Int, dieUnit: Double, shift: Double,
                               rng: inout DataRNG) -> [Component] {
        let contrast = 1 - 0.25 * shift
        // Least fail dies that still read as the pattern, scaled to the wafer (16 dies radius = 1).
        let area = 1 / (256 * dieUnit * dieUnit), rim = 1 / (16 * dieUnit)
        func least(_ perArea: Double) -> Int { max(3, Int(perArea * area)) }
        switch kind {
        case .none:
            return []

        case .center:
            let ox = rng.normal(0, 0.05 + 0.04 * shift), oy = rng.normal(0, 0.05 + 0.04 * shift)
            let r = max(rng.uniform(0.16, 0.40) + 0.06 * shift, 2.2 * dieUnit)
            let aspect = rng.uniform(0.75, 1.3), phi = rng.uniform(0, .pi)
            let density = rng.uniform(0.7, 0.97) * contrast
            let edge = rng.uniform(0.02, 0.07)
            let fade = rng.bernoulli(0.3) ? rng.uniform(0, 0.5) : 0
            let (c, sn) = (cos(phi), sin(phi))
            return [Component(probability: { d in
                let a = (d.u - ox) * c + (d.v - oy) * sn, b = -(d.u - ox) * sn + (d.v - oy) * c
                let dist = ((a / aspect) * (a / aspect) + (b * aspect) * (b * aspect)).squareRoot()
                return density * (1 - fade * min(dist / r, 1)) * soft(r - dist, edge)
            }, label: label, minimumFails: least(6), boxed: true)]

        case .donut:
            let ox = rng.normal(0, 0.04), oy = rng.normal(0, 0.04)
            let inner = rng.uniform(0.2, 0.42)
            let width = max(rng.uniform(0.12, 0.26), 2.2 * dieUnit)
            let density = rng.uniform(0.65, 0.95) * contrast
            let edge = rng.uniform(0.015, 0.05)
            let partial = rng.bernoulli(0.3)
            let halfSpan = rng.uniform(110, 160) * .pi / 180, facing = rng.uniform(-.pi, .pi)
            return [Component(probability: { d in
                let u = d.u - ox, v = d.v - oy
                let r = (u * u + v * v).squareRoot()
                var p = density * soft(r - inner, edge) * soft(inner + width - r, edge)
                if partial { p *= soft(halfSpan - angleGap(atan2(v, u), facing), 0.1) }
                return p
            }, label: label, minimumFails: least(16), boxed: true)]

        case .edgeRing:
            let depth = max(rng.uniform(0.05, 0.15) + 0.04 * shift, 1.1 * dieUnit)
            let wobble = rng.uniform(0, 0.35), waves = Double(1 + rng.int(3)), phase = rng.uniform(0, 2 * .pi)
            let density = rng.uniform(0.65, 0.97) * contrast
            let partial = rng.bernoulli(0.35)
            let halfSpan = rng.uniform(115, 165) * .pi / 180, facing = rng.uniform(-.pi, .pi)
            let edge = 0.3 * dieUnit
            return [Component(probability: { d in
                let local = depth * (1 + wobble * sin(waves * d.theta + phase))
                var p = density * soft(d.rho - (1 - local), edge)
                if partial { p *= soft(halfSpan - angleGap(d.theta, facing), 0.08) }
                return p
            }, label: label, minimumFails: max(8, Int(30 * rim)), boxed: true)]

        case .edgeLoc:
            // A fab shift brings a tool-specific preferred angle (e.g. a chuck or clamp position).
            let facing = rng.bernoulli(shift) ? rng.normal(-.pi / 4, 0.4) : rng.uniform(-.pi, .pi)
            let halfSpan = rng.uniform(15, 55) * .pi / 180
            let depth = max(rng.uniform(0.12, 0.35), 1.6 * dieUnit)
            let density = rng.uniform(0.65, 0.97) * contrast
            let edge = 0.35 * dieUnit
            return [Component(probability: { d in
                let gap = angleGap(d.theta, facing)
                guard gap < halfSpan * 1.3 else { return 0 }
                let taper = max(0, 1 - (gap / halfSpan) * (gap / halfSpan)).squareRoot()
                return density * soft(d.rho - (1 - depth * taper), edge) * soft(halfSpan - gap, 0.05)
            }, label: label, minimumFails: least(5), boxed: true)]

        case .loc:
            let clusters = rng.bernoulli(0.2) ? 2 : 1
            var out: [Component] = []
            var firstAngle = 0.0
            for k in 0..<clusters {
                let angle = k == 0 ? rng.uniform(-.pi, .pi) : firstAngle + rng.uniform(0.8, 2 * .pi - 0.8)
                if k == 0 { firstAngle = angle }
                let at = rng.uniform(0.18, 0.68)
                let cx = at * cos(angle), cy = at * sin(angle)
                let r = max(rng.uniform(0.08, 0.2), 2 * dieUnit)
                let blobs = (0..<3).map { _ in
                    (cx + rng.normal(0, r * 0.45), cy + rng.normal(0, r * 0.45), r * rng.uniform(0.55, 0.9))
                }
                let density = rng.uniform(0.7, 0.97) * contrast
                let edge = 0.3 * dieUnit
                out.append(Component(probability: { d in
                    var best = 0.0
                    for (bx, by, br) in blobs {
                        let dist = ((d.u - bx) * (d.u - bx) + (d.v - by) * (d.v - by)).squareRoot()
                        best = max(best, soft(br - dist, edge))
                    }
                    return density * best
                }, label: label, minimumFails: least(7), boxed: true))
            }
            return out

        case .nearFull:
            let level = rng.uniform(0.72, 0.97) * (1 - 0.1 * shift)
            let slope = rng.uniform(0, 0.35), facing = rng.uniform(-.pi, .pi)
            let (c, sn) = (cos(facing), sin(facing))
            return [Component(probability: { d in
                level * (1 - slope * soft(d.u * c + d.v * sn, 0.3))
            }, label: label, minimumFails: least(300), boxed: true)]

        case .random:
            let level = rng.uniform(0.12, 0.32)
            let tilt = rng.uniform(0, 0.3), facing = rng.uniform(-.pi, .pi)
            let (c, sn) = (cos(facing), sin(facing))
            return [Component(probability: { d in level * (1 + tilt * (d.u * c + d.v * sn)) },
                              label: label, minimumFails: 0, boxed: false)]

        case .scratch:
            return [scratch(label: label, dieUnit: dieUnit, shift: shift, contrast: contrast, rng: &rng)]
        }
    }

    /// A thin line or gentle arc (sometimes kinked, sometimes broken) of fail dies.
    static func scratch(label: Int, dieUnit: Double, shift: Double, contrast: Double, rng: inout DataRNG) -> Component {
        let startRadius = rng.uniform(0, 0.75), startAngle = rng.uniform(-.pi, .pi)
        var x = startRadius * cos(startAngle), y = startRadius * sin(startAngle)
        var heading = rng.uniform(-.pi, .pi)
        let length = rng.uniform(0.6, 1.4)
        let curvature = rng.bernoulli(0.5) ? 0 : (rng.bernoulli(0.5) ? 1 : -1) / rng.uniform(1.2, 4)
        let kinkAt = rng.bernoulli(0.2) ? rng.uniform(0.3, 0.7) * length : -1
        let kink = (rng.bernoulli(0.5) ? 1 : -1) * rng.uniform(15, 40) * .pi / 180
        let step = 0.5 * dieUnit
        var points: [(Double, Double, Double)] = [(x, y, 0)]
        var travelled = 0.0
        while travelled < length {
            if kinkAt > 0 && travelled < kinkAt && travelled + step >= kinkAt { heading += kink }
            heading += curvature * step
            x += step * cos(heading); y += step * sin(heading)
            travelled += step
            if x * x + y * y > 0.97 * 0.97 { break }
            points.append((x, y, travelled))
        }
        let halfWidth = (rng.uniform(0.45, 0.8) + 0.3 * shift) * dieUnit
        let density = rng.uniform(0.85, 0.98) * contrast
        var gaps: [(Double, Double)] = []
        if rng.bernoulli(0.3) {
            for _ in 0..<(1 + rng.int(2)) {
                let at = rng.uniform(0.15, 0.85) * travelled
                gaps.append((at, at + rng.uniform(1, 2.5) * dieUnit))
            }
        }
        let minX = points.reduce(x) { min($0, $1.0) } - 2 * dieUnit, maxX = points.reduce(x) { max($0, $1.0) } + 2 * dieUnit
        let minY = points.reduce(y) { min($0, $1.1) } - 2 * dieUnit, maxY = points.reduce(y) { max($0, $1.1) } + 2 * dieUnit
        let edge = 0.12 * dieUnit
        let rim = 1 / (16 * dieUnit)
        return Component(probability: { d in
            guard d.u >= minX, d.u <= maxX, d.v >= minY, d.v <= maxY else { return 0 }
            var best = Double.infinity, along = 0.0
            for (px, py, t) in points {
                let dist = (d.u - px) * (d.u - px) + (d.v - py) * (d.v - py)
                if dist < best { best = dist; along = t }
            }
            for (a, b) in gaps where along >= a && along <= b { return 0 }
            return density * soft(halfWidth - best.squareRoot(), edge)
        }, label: label, minimumFails: max(6, Int(8 * rim)), boxed: true)
    }
}
