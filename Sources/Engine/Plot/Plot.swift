/// Charts rendered to PNG files with the engine's own rasterizer, font and encoder: no
/// dependencies. Every chart has a title, axes with nice (1-2-5) ticks, axis labels, and a
/// legend where there are several series or classes. Files are written atomically (temporary
/// file, then rename).
///
///     try Plot.line([("train", [], trainLoss), ("valid", [], validLoss)],
///                   title: "Loss", xLabel: "epoch", yLabel: "loss", logY: true, to: "loss.png")
///     try Plot.scatter(xs: x, ys: y, classes: labels, title: "Embedding", to: "emb.png")
///
/// Errors (`[plot.<kind>] ...`) for empty data, mismatched lengths, values a chart cannot show
/// (e.g. non-positive values on a log axis), bad sizes, or an unwritable path.
public enum Plot {
    /// Default figure size in pixels.
    public static let defaultWidth = 900, defaultHeight = 600

    // MARK: Line

    /// Line chart of one or more series. A series with empty `xs` is drawn against 0, 1, 2, ...;
    /// non-finite points break its line. With `logY`, every finite y must be positive.
    public static func line(_ series: [(name: String, xs: [Double], ys: [Double])], title: String = "",
                            xLabel: String = "", yLabel: String = "", logY: Bool = false,
                            width: Int = defaultWidth, height: Int = defaultHeight, to path: String) throws {
        try save(renderLine(series, title: title, xLabel: xLabel, yLabel: yLabel, logY: logY, width: width, height: height),
                 to: path, op: "plot.line")
    }

    static func renderLine(_ series: [(name: String, xs: [Double], ys: [Double])], title: String, xLabel: String,
                           yLabel: String, logY: Bool, width: Int, height: Int) throws -> Canvas {
        let op = "plot.line"
        try checkSize(width, height, op)
        guard !series.isEmpty else { throw EngineError(op, "expected at least one series; got none") }
        var points: [[(Double, Double)]] = []
        for (i, s) in series.enumerated() {
            let label = s.name.isEmpty ? "series \(i)" : "series '\(s.name)'"
            guard !s.ys.isEmpty else { throw EngineError(op, "\(label) has no values") }
            guard s.xs.isEmpty || s.xs.count == s.ys.count else {
                throw EngineError(op, "\(label): xs and ys must have the same length; got \(s.xs.count) xs and \(s.ys.count) ys")
            }
            if logY, let bad = s.ys.firstIndex(where: { $0.isFinite && $0 <= 0 }) {
                throw EngineError(op, "logY needs positive values; \(label) has \(s.ys[bad]) at index \(bad)")
            }
            points.append(s.ys.indices.map { (s.xs.isEmpty ? Double($0) : s.xs[$0], s.ys[$0]) })
        }
        let finite = points.joined().filter { $0.0.isFinite && $0.1.isFinite }
        guard let first = finite.first else { throw EngineError(op, "no finite points to plot") }
        var (xlo, xhi, ylo, yhi) = (first.0, first.0, first.1, first.1)
        for p in finite {
            xlo = Swift.min(xlo, p.0); xhi = Swift.max(xhi, p.0); ylo = Swift.min(ylo, p.1); yhi = Swift.max(yhi, p.1)
        }
        try checkSpan(xlo, xhi, "x", op)
        try checkSpan(ylo, yhi, "y", op)
        let xAxis = AxisScale.linear(xlo, xhi, pad: 0.02, maxTicks: ticksFor(width))
        let yAxis = logY ? AxisScale.logarithmic(ylo, yhi, maxTicks: ticksFor(height))
                         : AxisScale.linear(ylo, yhi, pad: 0.03, maxTicks: ticksFor(height))
        var fig = Figure(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, x: xAxis, y: yAxis)
        fig.clipToPlot(true)
        let lineWidth = 2.0 * Double(fig.scale) * 0.75
        var drawn: [(Double, Double)] = []
        for (i, pts) in points.enumerated() {
            let color = Colormap.category(i)
            // Split at non-finite points.
            var run: [(Double, Double)] = []
            func flush() {
                fig.canvas.polyline(run, color, width: lineWidth)
                if series.count > 1 { drawn += Figure.samples(run) }
                run.removeAll()
            }
            for p in pts {
                if p.0.isFinite && p.1.isFinite { run.append((fig.px(p.0), fig.py(p.1))) } else { flush() }
            }
            flush()
            // Few points: mark them.
            if pts.count <= 40 {
                for p in pts where p.0.isFinite && p.1.isFinite {
                    fig.canvas.fillCircle(fig.px(p.0), fig.py(p.1), 2.2 * Double(fig.scale), color)
                }
            }
        }
        fig.drawFrame()
        if series.count > 1 {
            fig.drawLegend(series.enumerated().map { ($0.element.name.isEmpty ? "series \($0.offset)" : $0.element.name,
                                                      Colormap.category($0.offset)) }, avoiding: drawn)
        }
        return fig.canvas
    }

    // MARK: Scatter

    /// Scatter plot; with `classes`, each point is colored by its class and a legend names the
    /// classes (`classNames[c]`, or "class c").
    public static func scatter(xs: [Double], ys: [Double], classes: [Int]? = nil, classNames: [String]? = nil,
                               title: String = "", xLabel: String = "", yLabel: String = "",
                               width: Int = defaultWidth, height: Int = defaultHeight, to path: String) throws {
        try save(renderScatter(xs: xs, ys: ys, classes: classes, classNames: classNames, title: title, xLabel: xLabel,
                               yLabel: yLabel, width: width, height: height), to: path, op: "plot.scatter")
    }

    static func renderScatter(xs: [Double], ys: [Double], classes: [Int]?, classNames: [String]?, title: String,
                              xLabel: String, yLabel: String, width: Int, height: Int) throws -> Canvas {
        let op = "plot.scatter"
        try checkSize(width, height, op)
        guard !xs.isEmpty else { throw EngineError(op, "expected at least one point; got none") }
        guard xs.count == ys.count else {
            throw EngineError(op, "xs and ys must have the same length; got \(xs.count) xs and \(ys.count) ys")
        }
        if let classes, classes.count != xs.count {
            throw EngineError(op, "expected one class per point (\(xs.count)); got \(classes.count)")
        }
        let idx = xs.indices.filter { xs[$0].isFinite && ys[$0].isFinite }
        guard let f = idx.first else { throw EngineError(op, "no finite points to plot") }
        var (xlo, xhi, ylo, yhi) = (xs[f], xs[f], ys[f], ys[f])
        for i in idx {
            xlo = Swift.min(xlo, xs[i]); xhi = Swift.max(xhi, xs[i]); ylo = Swift.min(ylo, ys[i]); yhi = Swift.max(yhi, ys[i])
        }
        try checkSpan(xlo, xhi, "x", op)
        try checkSpan(ylo, yhi, "y", op)
        var fig = Figure(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                         x: .linear(xlo, xhi, pad: 0.04, maxTicks: ticksFor(width)),
                         y: .linear(ylo, yhi, pad: 0.04, maxTicks: ticksFor(height)))
        fig.clipToPlot(true)
        let n = idx.count
        let radius = (n <= 300 ? 3.5 : n <= 3000 ? 2.5 : 1.6) * Double(fig.scale)
        let alpha = n <= 300 ? 0.9 : 0.7
        let palette = classes.map { cls in Array(Set(cls)).sorted() } ?? []
        let colorIndex = Dictionary(uniqueKeysWithValues: palette.enumerated().map { ($0.element, $0.offset) })
        var drawn: [(Double, Double)] = []
        for i in idx {
            let color = classes.map { Colormap.category(colorIndex[$0[i]] ?? 0) } ?? Colormap.category(0)
            let p = (fig.px(xs[i]), fig.py(ys[i]))
            fig.canvas.fillCircle(p.0, p.1, radius, color, alpha: alpha)
            if classes != nil { drawn.append(p) }
        }
        fig.drawFrame()
        if classes != nil {
            let entries = palette.prefix(20).enumerated().map { (k, c) -> (name: String, color: RGB) in
                let name = classNames.flatMap { c >= 0 && c < $0.count ? $0[c] : nil } ?? "class \(c)"
                return (name, Colormap.category(k))
            }
            fig.drawLegend(Array(entries), dots: true, avoiding: drawn)
        }
        return fig.canvas
    }

    // MARK: Histogram

    /// Histogram of the finite `values` in `bins` equal bins over their range (the last bin
    /// includes the maximum, as numpy's).
    public static func histogram(_ values: [Double], bins: Int = 30, title: String = "", xLabel: String = "",
                                 yLabel: String = "count", width: Int = defaultWidth, height: Int = defaultHeight,
                                 to path: String) throws {
        try save(renderHistogram(values, bins: bins, title: title, xLabel: xLabel, yLabel: yLabel, width: width,
                                 height: height), to: path, op: "plot.histogram")
    }

    /// Bin edges (bins + 1) and counts of the finite values.
    static func histogramCounts(_ values: [Double], bins: Int, op: String = "plot.histogram") throws -> (edges: [Double], counts: [Int]) {
        guard bins >= 1 && bins <= 10_000 else { throw EngineError(op, "bins must be between 1 and 10000; got \(bins)") }
        let finite = values.filter(\.isFinite)
        guard let first = finite.first else {
            throw EngineError(op, values.isEmpty ? "expected at least one value; got none" : "no finite values among \(values.count)")
        }
        var lo = first, hi = first
        for v in finite { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        try checkSpan(lo, hi, "values", op)
        var counts = [Int](repeating: 0, count: bins)
        let span = hi - lo, n = Double(bins)
        for v in finite {
            let t = (v - lo) / span * n
            counts[t.isFinite ? Int(Swift.max(0, Swift.min(n - 1, t))) : 0] += 1
        }
        return ((0...bins).map { $0 == bins ? hi : lo + span * (Double($0) / n) }, counts)
    }

    static func renderHistogram(_ values: [Double], bins: Int, title: String, xLabel: String, yLabel: String,
                                width: Int, height: Int) throws -> Canvas {
        let op = "plot.histogram"
        try checkSize(width, height, op)
        let (edges, counts) = try histogramCounts(values, bins: bins)
        let top = Double(counts.max() ?? 1)
        var fig = Figure(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel,
                         x: .linear(edges[0], edges[bins], maxTicks: ticksFor(width)),
                         y: .linear(0, top, pad: 0.05, maxTicks: ticksFor(height), includeZero: true))
        fig.clipToPlot(true)
        let fill = Colormap.category(0)
        for b in 0..<bins where counts[b] > 0 {
            let xa = fig.px(edges[b]), xb = fig.px(edges[b + 1]), y = fig.py(Double(counts[b]))
            fig.canvas.fillRect(xa, y, xb, fig.py(0), fill)
            // Light separators between neighbouring bars when they are wide enough.
            if xb - xa >= 4 { fig.canvas.fillRect(xb - 0.5, y, xb + 0.5, fig.py(0), RGB(255, 255, 255), alpha: 0.8) }
        }
        fig.drawFrame()
        return fig.canvas
    }

    // MARK: Bar

    /// Bar chart, one bar per label (bars start at zero; negative values go down). Values are
    /// written above the bars when there are few.
    public static func bar(labels: [String], values: [Double], title: String = "", xLabel: String = "",
                           yLabel: String = "", width: Int = defaultWidth, height: Int = defaultHeight,
                           to path: String) throws {
        try save(renderBar(labels: labels, values: values, title: title, xLabel: xLabel, yLabel: yLabel, width: width,
                           height: height), to: path, op: "plot.bar")
    }

    static func renderBar(labels: [String], values: [Double], title: String, xLabel: String, yLabel: String,
                          width: Int, height: Int) throws -> Canvas {
        let op = "plot.bar"
        try checkSize(width, height, op)
        guard !values.isEmpty else { throw EngineError(op, "expected at least one bar; got none") }
        guard labels.count == values.count else {
            throw EngineError(op, "expected one label per value (\(values.count)); got \(labels.count)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw EngineError(op, "values must be finite; got \(values[bad]) for '\(labels[bad])'")
        }
        let lo = values.min() ?? 0, hi = values.max() ?? 0
        try checkSpan(Swift.min(lo, 0), Swift.max(hi, 0), "values", op)
        let n = values.count
        // Categories sit at 0.5, 1.5, ...; the x axis spans [0, n].
        let xAxis = AxisScale(lo: 0, hi: Double(n), log: false, ticks: [], minor: [], labels: [])
        var fig = Figure(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, x: xAxis,
                         y: .linear(lo, hi, pad: 0.08, maxTicks: ticksFor(height), includeZero: true),
                         xCategories: labels.enumerated().map { (Double($0.offset) + 0.5, $0.element) })
        fig.clipToPlot(true)
        let slot = Double(fig.x1 - fig.x0) / Double(n)
        let showValues = n <= 24
        let step = Swift.max(abs(hi), abs(lo)) / 1000
        for (i, v) in values.enumerated() {
            let center = fig.px(Double(i) + 0.5)
            let half = slot * 0.36
            fig.canvas.fillRect(center - half, fig.py(v), center + half, fig.py(0), Colormap.category(0))
            if showValues {
                let text = Ticks.label(v, step: step > 0 ? Ticks.niceStep(step) : 1)
                if Canvas.textWidth(text, scale: fig.scale) <= Int(slot) {
                    let y = Canvas.index(fig.py(v).rounded())
                    fig.canvas.text(text, Canvas.index(center), v >= 0 ? y - 3 * fig.scale : y + 3 * fig.scale, scale: fig.scale,
                                    color: Figure.textColor, h: .center, v: v >= 0 ? .end : .start)
                }
            }
        }
        if lo < 0 {
            let y = Canvas.index(fig.py(0).rounded(.down))
            fig.canvas.fillPixels(fig.x0, y, fig.x1, y + 1, Figure.frameColor)
        }
        fig.drawFrame()
        return fig.canvas
    }

    // MARK: Shared

    /// About one tick interval per 110 pixels (3 to 10).
    static func ticksFor(_ pixels: Int) -> Int { Swift.max(3, Swift.min(10, pixels / 110)) }

    /// Refuses data whose range overflows doubles (such a span cannot be mapped to pixels).
    static func checkSpan(_ lo: Double, _ hi: Double, _ what: String, _ op: String) throws {
        guard (hi - lo).isFinite && (hi - lo) * 1.25 < .greatestFiniteMagnitude else {
            throw EngineError(op, "\(what) span too wide a range to plot (\(lo) to \(hi))")
        }
    }

    static func checkSize(_ width: Int, _ height: Int, _ op: String) throws {
        guard width >= 160 && width <= 8192 && height >= 120 && height <= 8192 else {
            throw EngineError(op, "figure size must be within 160x120 and 8192x8192 pixels; got \(width)x\(height)")
        }
    }

    /// Writes `canvas` as a PNG file, atomically.
    static func save(_ canvas: Canvas, to path: String, op: String) throws {
        let bytes = PNG.encode(width: canvas.width, height: canvas.height, rgb: canvas.pixels)
        try FileIO.writeAtomically(path: path, op: op) { try $0.write(bytes) }
    }
}
