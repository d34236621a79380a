/// An 8-bit RGB color.
struct RGB: Equatable, Sendable {
    var r: UInt8, g: UInt8, b: UInt8

    init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r; self.g = g; self.b = b
    }

    /// From 0xRRGGBB.
    init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    static let white = RGB(255, 255, 255)
    static let black = RGB(0, 0, 0)

    /// Perceived brightness in [0, 1] (Rec. 601 weights).
    var luminance: Double { (0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)) / 255 }

    /// `self` mixed with `other` by `t` (0 = self, 1 = other).
    func mixed(with other: RGB, _ t: Double) -> RGB {
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8(Swift.max(0, Swift.min(255, (Double(a) + (Double(b) - Double(a)) * t).rounded())))
        }
        return RGB(m(r, other.r), m(g, other.g), m(b, other.b))
    }
}

/// A raster of RGB8 pixels with the few anti-aliased primitives plots need. Coordinates are in
/// pixels, x right and y down; a pixel (x, y) covers [x, x+1) × [y, y+1), so its center is at
/// (x + 0.5, y + 0.5). Everything is clipped to the canvas (and to `clip` when set).
struct Canvas {
    let width: Int
    let height: Int
    /// Row-major RGB bytes.
    private(set) var pixels: [UInt8]
    /// Drawing is limited to this rectangle (x0, y0, x1, y1), exclusive ends.
    var clip: (x0: Int, y0: Int, x1: Int, y1: Int)

    init(width: Int, height: Int, background: RGB = .white) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        clip = (0, 0, width, height)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.r; pixels[3 * i + 1] = background.g; pixels[3 * i + 2] = background.b
        }
    }

    /// The color at (x, y).
    func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = 3 * (y * width + x)
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Blends `color` over pixel (x, y) with coverage `alpha` in [0, 1].
    @inline(__always)
    mutating func blend(_ x: Int, _ y: Int, _ color: RGB, _ alpha: Double) {
        guard x >= clip.x0 && x < clip.x1 && y >= clip.y0 && y < clip.y1 && alpha > 0 else { return }
        let i = 3 * (y * width + x)
        if alpha >= 1 {
            pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
            return
        }
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * alpha).rounded()) }
        pixels[i] = mix(pixels[i], color.r); pixels[i + 1] = mix(pixels[i + 1], color.g); pixels[i + 2] = mix(pixels[i + 2], color.b)
    }

    /// A pixel coordinate as Int, clamped far outside any canvas so conversion cannot trap.
    @inline(__always)
    static func index(_ v: Double) -> Int {
        v.isNaN ? 0 : Int(Swift.max(-1e9, Swift.min(1e9, v)))
    }

    /// Fills the rectangle [x0, x1) × [y0, y1), with fractional edges anti-aliased.
    mutating func fillRect(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ color: RGB, alpha: Double = 1) {
        let (ax, bx) = (Swift.min(x0, x1), Swift.max(x0, x1)), (ay, by) = (Swift.min(y0, y1), Swift.max(y0, y1))
        guard ax.isFinite && bx.isFinite && ay.isFinite && by.isFinite else { return }
        let px0 = Swift.max(clip.x0, Canvas.index(ax.rounded(.down))), px1 = Swift.min(clip.x1, Canvas.index(bx.rounded(.up)))
        let py0 = Swift.max(clip.y0, Canvas.index(ay.rounded(.down))), py1 = Swift.min(clip.y1, Canvas.index(by.rounded(.up)))
        guard px0 < px1 && py0 < py1 else { return }
        for y in py0..<py1 {
            let cy = Swift.min(by, Double(y + 1)) - Swift.max(ay, Double(y))
            for x in px0..<px1 {
                let cx = Swift.min(bx, Double(x + 1)) - Swift.max(ax, Double(x))
                blend(x, y, color, cx * cy * alpha)
            }
        }
    }

    /// Fills whole pixels [x0, x1) × [y0, y1).
    mutating func fillPixels(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: RGB) {
        let ax = Swift.max(x0, clip.x0), bx = Swift.min(x1, clip.x1), ay = Swift.max(y0, clip.y0), by = Swift.min(y1, clip.y1)
        guard ax < bx && ay < by else { return }
        for y in ay..<by {
            var i = 3 * (y * width + ax)
            for _ in ax..<bx {
                pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
                i += 3
            }
        }
    }

    /// A one-pixel rectangle outline along whole pixels.
    mutating func strokePixels(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: RGB) {
        fillPixels(x0, y0, x1, y0 + 1, color)
        fillPixels(x0, y1 - 1, x1, y1, color)
        fillPixels(x0, y0, x0 + 1, y1, color)
        fillPixels(x1 - 1, y0, x1, y1, color)
    }

    /// An anti-aliased segment of the given width with round caps: each pixel's coverage is
    /// its center's distance to the segment against half the width.
    mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ color: RGB, width w: Double = 1) {
        guard x0.isFinite && y0.isFinite && x1.isFinite && y1.isFinite else { return }
        let half = Swift.max(w, 0.5) / 2
        let reach = half + 1
        let px0 = Swift.max(clip.x0, Canvas.index((Swift.min(x0, x1) - reach).rounded(.down)))
        let px1 = Swift.min(clip.x1 - 1, Canvas.index((Swift.max(x0, x1) + reach).rounded(.up)))
        let py0 = Swift.max(clip.y0, Canvas.index((Swift.min(y0, y1) - reach).rounded(.down)))
        let py1 = Swift.min(clip.y1 - 1, Canvas.index((Swift.max(y0, y1) + reach).rounded(.up)))
        guard px0 <= px1 && py0 <= py1 else { return }
        let dx = x1 - x0, dy = y1 - y0
        let length2 = dx * dx + dy * dy
        // Thin lines get a little extra weight so they do not look washed out.
        let gain = w < 1 ? w : 1
        for y in py0...py1 {
            let cy = Double(y) + 0.5
            for x in px0...px1 {
                let cx = Double(x) + 0.5
                var t = length2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / length2 : 0
                t = Swift.max(0, Swift.min(1, t))
                let ex = cx - (x0 + t * dx), ey = cy - (y0 + t * dy)
                let d = (ex * ex + ey * ey).squareRoot()
                let coverage = Swift.max(0, Swift.min(1, half + 0.5 - d))
                if coverage > 0 { blend(x, y, color, coverage * gain) }
            }
        }
    }

    /// Connected segments through `points`; a non-finite point breaks the line.
    mutating func polyline(_ points: [(Double, Double)], _ color: RGB, width: Double = 1) {
        guard points.count > 1 else {
            if let p = points.first, p.0.isFinite && p.1.isFinite { fillCircle(p.0, p.1, width, color) }
            return
        }
        for i in 1..<points.count {
            let a = points[i - 1], b = points[i]
            line(a.0, a.1, b.0, b.1, color, width: width)
        }
    }

    /// An anti-aliased filled disc.
    mutating func fillCircle(_ cx: Double, _ cy: Double, _ r: Double, _ color: RGB, alpha: Double = 1) {
        guard cx.isFinite && cy.isFinite && r > 0 else { return }
        let px0 = Swift.max(clip.x0, Canvas.index((cx - r - 1).rounded(.down))), px1 = Swift.min(clip.x1 - 1, Canvas.index((cx + r + 1).rounded(.up)))
        let py0 = Swift.max(clip.y0, Canvas.index((cy - r - 1).rounded(.down))), py1 = Swift.min(clip.y1 - 1, Canvas.index((cy + r + 1).rounded(.up)))
        guard px0 <= px1 && py0 <= py1 else { return }
        for y in py0...py1 {
            for x in px0...px1 {
                let ex = Double(x) + 0.5 - cx, ey = Double(y) + 0.5 - cy
                let coverage = Swift.max(0, Swift.min(1, r + 0.5 - (ex * ex + ey * ey).squareRoot()))
                if coverage > 0 { blend(x, y, color, coverage * alpha) }
            }
        }
    }
}
