#if canImport(Glibc)
import Glibc
#endif

/// One axis: its data range (widened to nice ticks), scale, ticks and labels.
struct AxisScale {
    let lo: Double, hi: Double
    let log: Bool
    let ticks: [Double]
    let minor: [Double]
    let labels: [String]

    /// A linear axis over the data range [lo, hi], padded by `pad` of the span on each side
    /// (never across zero when `includeZero` makes zero a bound), with nice ticks inside.
    static func linear(_ lo: Double, _ hi: Double, pad: Double = 0, maxTicks: Int = 6, includeZero: Bool = false) -> AxisScale {
        var (a, b) = Ticks.usableRange(lo, hi)
        if includeZero { a = Swift.min(a, 0); b = Swift.max(b, 0) }
        let span = b - a
        if pad > 0 {
            if !(includeZero && a == 0) { a -= span * pad }
            if !(includeZero && b == 0) { b += span * pad }
        }
        let t = Ticks.inside(a, b, maxCount: maxTicks)
        return AxisScale(lo: t.lo, hi: t.hi, log: false, ticks: t.ticks, minor: [],
                         labels: t.ticks.map { Ticks.label($0, step: t.step) })
    }

    /// A base-10 log axis over [lo, hi] (both positive), padded by `pad` of the span in log
    /// space.
    static func logarithmic(_ lo: Double, _ hi: Double, pad: Double = 0.03, maxTicks: Int = 6) -> AxisScale {
        var a = log10(lo), b = log10(hi)
        if b - a < 1e-9 { a -= 0.5; b += 0.5 }
        let span = b - a
        // Stay clear of overflow at the ends of the double range.
        a = Swift.max(-300, Swift.min(299, a - span * pad)); b = Swift.min(300, Swift.max(a + 1e-6, b + span * pad))
        let (lo, hi) = (pow(10, a), pow(10, b))
        let t = Ticks.log(lo, hi, maxCount: maxTicks)
        return AxisScale(lo: lo, hi: hi, log: true, ticks: t.major, minor: t.minor, labels: t.major.map(Ticks.logLabel))
    }

    /// Position of `v` along the axis in [0, 1] (outside for values beyond the range).
    func fraction(_ v: Double) -> Double {
        if log {
            guard v > 0 else { return -.infinity }
            return (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        }
        return (v - lo) / (hi - lo)
    }
}

/// A canvas laid out for a 2-D chart: title, plot area with frame, grid, ticks, tick labels,
/// axis labels, and a legend. Data are mapped into the plot area by `px` and `py`.
struct Figure {
    var canvas: Canvas
    /// Plot area in pixels: [x0, x1) × [y0, y1).
    let x0: Int, y0: Int, x1: Int, y1: Int
    let xAxis: AxisScale, yAxis: AxisScale
    /// Text scale of tick labels, axis labels and legends; the title uses one more.
    let scale: Int

    static let frameColor = RGB(60, 60, 60)
    static let gridColor = RGB(228, 228, 228)
    static let textColor = RGB(30, 30, 30)

    /// How category labels under the x axis are drawn.
    struct CategoryLayout {
        /// Label every k-th category.
        var every = 1
        /// Rotated to read bottom to top (when horizontal labels would collide).
        var vertical = false
        /// Room for one label along its reading direction.
        var maxWidth = 0
        /// Height the labels take below the ticks.
        var height = 0
    }
    let categoryLayout: CategoryLayout

    /// Lays out and draws everything but the data. `xCategories` replaces the numeric x labels
    /// with names at data positions (bar charts). `rightMargin` reserves room (colorbars).
    init(width: Int, height: Int, title: String, xLabel: String, yLabel: String, x: AxisScale, y: AxisScale,
         xCategories: [(position: Double, label: String)]? = nil, rightMargin: Int = 0, grid: Bool = true) {
        canvas = Canvas(width: width, height: height)
        xAxis = x
        yAxis = y
        let s = Swift.max(1, Swift.min(width, height) / 300)
        scale = s
        let lineH = Canvas.textHeight(scale: s)
        let titleH = title.isEmpty ? 0 : Canvas.textHeight(scale: s + 1)
        let yTickW = y.labels.map { Canvas.textWidth($0, scale: s) }.max() ?? 0
        let pad = 6 * s
        x0 = pad + (yLabel.isEmpty ? 0 : lineH + pad) + yTickW + 4 * s + pad / 2
        y0 = pad * 2 + (title.isEmpty ? 0 : titleH + pad)
        x1 = width - pad * 3 - rightMargin
        var layout = CategoryLayout(maxWidth: Swift.max(1, x1 - x0), height: lineH)
        if let categories = xCategories, !categories.isEmpty {
            // Horizontal when every label fits its slot; else vertical (up to a quarter of the
            // height), labelling every k-th category when even that is too crowded.
            let slot = Double(x1 - x0) / Double(categories.count)
            let widest = categories.map { Canvas.textWidth($0.label, scale: s) }.max() ?? 0
            if Double(widest + 3 * s) <= slot {
                layout.maxWidth = Int(slot)
            } else {
                layout.vertical = true
                layout.maxWidth = Swift.min(widest, height / 4)
                layout.height = layout.maxWidth
                layout.every = Ticks.niceCount(Double(lineH + 3 * s) / slot)
            }
        }
        categoryLayout = layout
        y1 = height - pad - (xLabel.isEmpty ? 0 : lineH + pad) - layout.height - 4 * s - pad / 2
        draw(title: title, xLabel: xLabel, yLabel: yLabel, categories: xCategories, grid: grid)
    }

    /// Pixel x of data value `v`.
    func px(_ v: Double) -> Double { Double(x0) + xAxis.fraction(v) * Double(x1 - x0) }
    /// Pixel y of data value `v` (up is larger).
    func py(_ v: Double) -> Double { Double(y1) - yAxis.fraction(v) * Double(y1 - y0) }

    /// Limits drawing to the plot area (true) or the whole canvas (false).
    mutating func clipToPlot(_ on: Bool) {
        canvas.clip = on ? (x0, y0, x1, y1) : (0, 0, canvas.width, canvas.height)
    }

    private mutating func draw(title: String, xLabel: String, yLabel: String,
                               categories: [(position: Double, label: String)]?, grid: Bool) {
        let s = scale, tick = 4 * s, pad = 6 * s
        let width = canvas.width
        if !title.isEmpty {
            let fitted = Canvas.fitted(title, maxWidth: width - 2 * pad, scale: s + 1)
            canvas.text(fitted, (x0 + x1) / 2, pad * 2, scale: s + 1, color: Figure.textColor, h: .center)
        }
        // Grid and ticks.
        if grid {
            for v in yAxis.minor {
                let y = Canvas.index(py(v).rounded(.down))
                if y > y0 && y < y1 - 1 { canvas.fillPixels(x0, y, x1, y + 1, RGB(242, 242, 242)) }
            }
            for v in yAxis.ticks {
                let y = Canvas.index(py(v).rounded(.down))
                if y > y0 && y < y1 - 1 { canvas.fillPixels(x0, y, x1, y + 1, Figure.gridColor) }
            }
            if categories == nil {
                for v in xAxis.ticks {
                    let x = Canvas.index(px(v).rounded(.down))
                    if x > x0 && x < x1 - 1 { canvas.fillPixels(x, y0, x + 1, y1, Figure.gridColor) }
                }
            }
        }
        for (v, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = Swift.min(y1 - 1, Canvas.index(py(v).rounded(.down)))
            canvas.fillPixels(x0 - tick, y, x0, y + 1, Figure.frameColor)
            canvas.text(label, x0 - tick - pad / 2, y, scale: s, color: Figure.textColor, h: .end, v: .center)
        }
        for v in yAxis.minor {
            let y = Canvas.index(py(v).rounded(.down))
            if y >= y0 && y < y1 { canvas.fillPixels(x0 - tick / 2, y, x0, y + 1, Figure.frameColor) }
        }
        let labelTop = y1 + tick + pad / 2
        if let categories {
            let layout = categoryLayout
            for (i, c) in categories.enumerated() {
                let x = Canvas.index(px(c.position).rounded(.down))
                canvas.fillPixels(x, y1, x + 1, y1 + tick, Figure.frameColor)
                guard i % layout.every == 0 else { continue }
                let text = Canvas.fitted(c.label, maxWidth: layout.maxWidth, scale: s)
                if layout.vertical {
                    canvas.verticalText(text, x, labelTop + Canvas.textWidth(text, scale: s) / 2, scale: s, color: Figure.textColor)
                } else {
                    canvas.text(text, x, labelTop, scale: s, color: Figure.textColor, h: .center)
                }
            }
        } else {
            for (v, label) in zip(xAxis.ticks, xAxis.labels) {
                let x = Swift.min(x1 - 1, Canvas.index(px(v).rounded(.down)))
                canvas.fillPixels(x, y1, x + 1, y1 + tick, Figure.frameColor)
                canvas.text(label, x, labelTop, scale: s, color: Figure.textColor, h: .center)
            }
        }
        if !xLabel.isEmpty {
            let text = Canvas.fitted(xLabel, maxWidth: x1 - x0, scale: s)
            canvas.text(text, (x0 + x1) / 2, labelTop + categoryLayout.height + pad, scale: s,
                        color: Figure.textColor, h: .center)
        }
        if !yLabel.isEmpty {
            let text = Canvas.fitted(yLabel, maxWidth: y1 - y0, scale: s)
            canvas.verticalText(text, pad + Canvas.textHeight(scale: s) / 2, (y0 + y1) / 2, scale: s, color: Figure.textColor)
        }
    }

    /// The frame around the plot area (drawn last, over the data).
    mutating func drawFrame() {
        clipToPlot(false)
        canvas.strokePixels(x0 - 1, y0 - 1, x1 + 1, y1 + 1, Figure.frameColor)
    }

    /// A legend box in the corner of the plot area that covers the fewest of `points` (pixel
    /// positions of the data; ties prefer upper right, upper left, lower right, lower left): a
    /// swatch per entry (a line, or a dot when `dots`) and its name.
    mutating func drawLegend(_ entries: [(name: String, color: RGB)], dots: Bool = false, avoiding points: [(Double, Double)] = []) {
        guard !entries.isEmpty else { return }
        clipToPlot(false)
        let s = scale, pad = 5 * s, swatch = 16 * s
        let rowH = Canvas.textHeight(scale: s) + 5 * s
        let maxText = Swift.max(40, (x1 - x0) / 2 - swatch - 3 * pad)
        let names = entries.map { Canvas.fitted($0.name, maxWidth: maxText, scale: s) }
        let textW = names.map { Canvas.textWidth($0, scale: s) }.max() ?? 0
        let boxW = pad + swatch + pad + textW + pad
        let boxH = pad + rowH * entries.count - 5 * s + pad
        let margin = 8 * s
        let corners = [(x1 - margin - boxW, y0 + margin), (x0 + margin, y0 + margin),
                       (x1 - margin - boxW, y1 - margin - boxH), (x0 + margin, y1 - margin - boxH)]
        var best = corners[0], bestCount = Int.max
        for corner in corners {
            let (cx0, cy0) = (Double(corner.0 - margin), Double(corner.1 - margin))
            let (cx1, cy1) = (Double(corner.0 + boxW + margin), Double(corner.1 + boxH + margin))
            let count = points.reduce(0) { $0 + ($1.0 >= cx0 && $1.0 <= cx1 && $1.1 >= cy0 && $1.1 <= cy1 ? 1 : 0) }
            if count < bestCount { best = corner; bestCount = count }
        }
        let (bx, by) = best
        canvas.fillPixels(bx, by, bx + boxW, by + boxH, .white)
        canvas.strokePixels(bx, by, bx + boxW, by + boxH, RGB(200, 200, 200))
        for (i, (entry, name)) in zip(entries, names).enumerated() {
            let cy = by + pad + i * rowH + Canvas.textHeight(scale: s) / 2
            if dots {
                canvas.fillCircle(Double(bx + pad + swatch / 2), Double(cy) + 0.5, 3.5 * Double(s), entry.color)
            } else {
                canvas.line(Double(bx + pad), Double(cy) + 0.5, Double(bx + pad + swatch), Double(cy) + 0.5, entry.color,
                            width: 2 * Double(s))
            }
            canvas.text(name, bx + pad + swatch + pad, cy, scale: s, color: Figure.textColor, v: .center)
        }
    }

    /// Points every few pixels along a polyline (for legend placement).
    static func samples(_ line: [(Double, Double)], spacing: Double = 4) -> [(Double, Double)] {
        guard var previous = line.first else { return [] }
        var out = [previous]
        for p in line.dropFirst() {
            let d = ((p.0 - previous.0) * (p.0 - previous.0) + (p.1 - previous.1) * (p.1 - previous.1)).squareRoot()
            let n = Swift.min(1000, Int(d / spacing))
            if n > 0 { for k in 1...n { let t = Double(k) / Double(n + 1); out.append((previous.0 + t * (p.0 - previous.0), previous.1 + t * (p.1 - previous.1))) } }
            out.append(p)
            previous = p
        }
        return out
    }
}
