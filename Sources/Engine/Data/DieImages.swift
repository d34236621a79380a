#if canImport(Glibc)
import Glibc
#endif

public struct DieImageOptions: Sendable {
    public var count = 200
    /// Image side in pixels.
    public var size = 64
    public var seed: UInt64 = 0
    /// Objects per image: 1...maxObjects.
    public var maxObjects = 4

    public init() {}
}

/// An object box in pixel coordinates: columns `x1...x2`, rows `y1...y2`, 0-based inclusive,
/// with the 0-based class index into `DieImages.classes`.
public struct PixelBox: Sendable, Equatable {
    public var x1: Int, y1: Int, x2: Int, y2: Int
    public var label: Int

    func iou(_ o: PixelBox) -> Double {
        let iw = min(x2, o.x2) - max(x1, o.x1) + 1, ih = min(y2, o.y2) - max(y1, o.y1) + 1
        guard iw > 0, ih > 0 else { return 0 }
        let inter = Double(iw * ih)
        let a = Double((x2 - x1 + 1) * (y2 - y1 + 1)), b = Double((o.x2 - o.x1 + 1) * (o.y2 - o.y1 + 1))
        return inter / (a + b - inter)
    }
}

public struct DieImageSet {
    /// `(n, 1, size, size)` float32 in [0, 1].
    public let images: Tensor
    public let boxes: [[PixelBox]]
}

/// Grey-level inspection images of die surfaces (a metal-line texture under uneven
/// illumination, with sensor noise) carrying several defects each: scratches (long thin bright
/// or dark lines, sometimes curved), particles (small dark round blobs), voids (bright ellipses
/// with a dark rim) and cracks (jagged, sometimes branching dark lines). Boxes are the tight
/// extent of each defect's visible pixels; objects barely overlap.
public enum DieImages {
    static let op = "die_images"
    public static let classes = ["scratch", "particle", "void", "crack"]

    public static func generate(_ o: DieImageOptions) throws -> DieImageSet {
        try DataCheck.range(op, "n", o.count, 1...10_000_000)
        try DataCheck.range(op, "size", o.size, 24...1024)
        try DataCheck.range(op, "max_objects", o.maxObjects, 1...16)
        try DataCheck.budget(op, o.count * o.size * o.size, "the images")
        let n = o.count, s = o.size
        let images = try Tensor(shape: [n, 1, s, s], dtype: .float32, op: op)
        let out = images.pointer(Float.self)
        var boxes = [[PixelBox]](repeating: [], count: n)
        boxes.withUnsafeMutableBufferPointer { boxOut in
            Parallel.forRanges(count: n) { range in
                var pixels = [Double](repeating: 0, count: s * s)
                for i in range where !Interrupt.isRequested {
                    var rng = DataRNG(seed: o.seed, stream: i)
                    boxOut[i] = draw(&pixels, size: s, maxObjects: o.maxObjects, rng: &rng)
                    for j in 0..<(s * s) { out[i * s * s + j] = Float(min(max(pixels[j], 0), 1)) }
                }
            }
        }
        try Interrupt.check(op)
        return DieImageSet(images: images, boxes: boxes)
    }

    /// One image into `pixels`; returns its boxes.
    static func draw(_ pixels: inout [Double], size s: Int, maxObjects: Int, rng: inout DataRNG) -> [PixelBox] {
        let period = Double(rng.int(in: 6...12)), lineWidth = rng.uniform(1, 2.5)
        let horizontal = rng.bernoulli(0.5)
        let base = rng.uniform(0.35, 0.5), texture = rng.uniform(0.04, 0.09)
        let gx = rng.uniform(-0.12, 0.12), gy = rng.uniform(-0.12, 0.12), noise = rng.uniform(0.015, 0.035)
        let padX = rng.uniform(0, period), padY = rng.uniform(0, period)
        for y in 0..<s {
            for x in 0..<s {
                let u = Double(x) / Double(s) - 0.5, v = Double(y) / Double(s) - 0.5
                let along = (horizontal ? Double(y) + padY : Double(x) + padX).truncatingRemainder(dividingBy: period)
                let across = (horizontal ? Double(x) + padX : Double(y) + padY).truncatingRemainder(dividingBy: period * 4)
                var p = base + gx * u + gy * v
                if along < lineWidth { p += texture }
                if across < 1 { p -= texture * 0.5 }
                pixels[y * s + x] = p + rng.normal(0, noise)
            }
        }
        let count = 1 + rng.int(maxObjects)
        var boxes: [PixelBox] = []
        var delta = [Double](repeating: 0, count: s * s)
        for _ in 0..<count {
            for _ in 0..<25 {
                for j in 0..<(s * s) { delta[j] = 0 }
                let label = rng.int(classes.count)
                switch label {
                case 0: scratch(&delta, s, &rng)
                case 1: particle(&delta, s, &rng)
                case 2: void(&delta, s, &rng)
                default: crack(&delta, s, &rng)
                }
                var x1 = s, y1 = s, x2 = -1, y2 = -1
                for y in 0..<s {
                    for x in 0..<s where abs(delta[y * s + x]) > 0.08 {
                        x1 = min(x1, x); x2 = max(x2, x); y1 = min(y1, y); y2 = max(y2, y)
                    }
                }
                guard x2 >= x1, y2 >= y1, x2 - x1 >= 2 || y2 - y1 >= 2 else { continue }
                let box = PixelBox(x1: x1, y1: y1, x2: x2, y2: y2, label: label)
                if boxes.contains(where: { $0.iou(box) > 0.05 }) { continue }
                boxes.append(box)
                for j in 0..<(s * s) { pixels[j] += delta[j] }
                break
            }
        }
        return boxes
    }

    /// Adds `amount × coverage` of a disc of radius `r` around (cx, cy) (anti-aliased).
    static func stamp(_ d: inout [Double], _ s: Int, _ cx: Double, _ cy: Double, _ r: Double, _ amount: Double) {
        let x0 = max(0, Int((cx - r - 1).rounded(.down))), x1 = min(s - 1, Int((cx + r + 1).rounded(.up)))
        let y0 = max(0, Int((cy - r - 1).rounded(.down))), y1 = min(s - 1, Int((cy + r + 1).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dist = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                let cover = min(max(r + 0.5 - dist, 0), 1)
                let j = y * s + x
                if abs(amount * cover) > abs(d[j]) { d[j] = amount * cover }
            }
        }
    }

    static func scratch(_ d: inout [Double], _ s: Int, _ rng: inout DataRNG) {
        let size = Double(s)
        var x = rng.uniform(0.1, 0.9) * size, y = rng.uniform(0.1, 0.9) * size
        var heading = rng.uniform(0, 2 * .pi)
        let length = rng.uniform(0.25, 0.6) * size, bend = rng.bernoulli(0.5) ? 0 : rng.uniform(-0.008, 0.008)
        let width = rng.uniform(0.5, 1.1), amount = (rng.bernoulli(0.85) ? 1 : -1) * rng.uniform(0.3, 0.45)
        var t = 0.0
        while t < length {
            stamp(&d, s, x, y, width, amount * (0.8 + 0.2 * sin(t / 3)))
            x += 0.5 * cos(heading); y += 0.5 * sin(heading); heading += bend
            t += 0.5
            if x < 1 || y < 1 || x > size - 2 || y > size - 2 { break }
        }
    }

    static func particle(_ d: inout [Double], _ s: Int, _ rng: inout DataRNG) {
        let r = rng.uniform(1.8, 3.8) * Double(s) / 64
        let cx = rng.uniform(r + 2, Double(s) - r - 2), cy = rng.uniform(r + 2, Double(s) - r - 2)
        stamp(&d, s, cx, cy, max(r, 1.5), -rng.uniform(0.3, 0.42))
    }

    static func void(_ d: inout [Double], _ s: Int, _ rng: inout DataRNG) {
        let scale = Double(s) / 64
        let a = rng.uniform(4, 9) * scale, b = a * rng.uniform(0.6, 1)
        let phi = rng.uniform(0, .pi)
        let cx = rng.uniform(a + 2, Double(s) - a - 2), cy = rng.uniform(a + 2, Double(s) - a - 2)
        let bright = rng.uniform(0.22, 0.35), rim = rng.uniform(0.15, 0.25)
        let (c, sn) = (cos(phi), sin(phi))
        let x0 = max(0, Int(cx - a - 2)), x1 = min(s - 1, Int(cx + a + 2))
        let y0 = max(0, Int(cy - a - 2)), y1 = min(s - 1, Int(cy + a + 2))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let u = (Double(x) - cx) * c + (Double(y) - cy) * sn, v = -(Double(x) - cx) * sn + (Double(y) - cy) * c
                let r = ((u / a) * (u / a) + (v / b) * (v / b)).squareRoot()
                let j = y * s + x
                if r < 0.8 { d[j] = bright } else if r < 1.05 { d[j] = -rim } else if r < 1.2 { d[j] = -rim * (1.2 - r) / 0.15 }
            }
        }
    }

    static func crack(_ d: inout [Double], _ s: Int, _ rng: inout DataRNG) {
        let size = Double(s), scale = size / 64
        let amount = -rng.uniform(0.32, 0.45)
        func walk(_ x0: Double, _ y0: Double, _ heading0: Double, segments: Int, _ rng: inout DataRNG) {
            var x = x0, y = y0, heading = heading0
            for _ in 0..<segments {
                heading += rng.uniform(-1.1, 1.1)
                let length = rng.uniform(2, 4.5) * scale
                var t = 0.0
                while t < length {
                    stamp(&d, s, x, y, 0.5, amount)
                    x += 0.5 * cos(heading); y += 0.5 * sin(heading); t += 0.5
                    if x < 1 || y < 1 || x > size - 2 || y > size - 2 { return }
                }
            }
        }
        let x = rng.uniform(0.2, 0.8) * size, y = rng.uniform(0.2, 0.8) * size, heading = rng.uniform(0, 2 * .pi)
        walk(x, y, heading, segments: rng.int(in: 4...9), &rng)
        if rng.bernoulli(0.6) { walk(x, y, heading + .pi + rng.uniform(-0.6, 0.6), segments: rng.int(in: 2...5), &rng) }
    }
}
