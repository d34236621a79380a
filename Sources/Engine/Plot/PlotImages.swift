/// Raster charts: heatmaps with a colorbar, and grids of images.
extension Plot {
    // MARK: Heatmap

    /// A matrix as colored cells (row 0 at the top) with a colorbar. `rowLabels`/`columnLabels`
    /// default to indices; `cellLabels` writes each value in its cell when it fits (e.g. a
    /// confusion matrix). NaN cells are light gray.
    public static func heatmap(_ values: [[Double]], title: String = "", xLabel: String = "", yLabel: String = "",
                               rowLabels: [String]? = nil, columnLabels: [String]? = nil, colormap: Colormap = .viridis,
                               cellLabels: Bool = false, width: Int = 800, height: Int = 700, to path: String) throws {
        try save(renderHeatmap(values, title: title, xLabel: xLabel, yLabel: yLabel, rowLabels: rowLabels,
                               columnLabels: columnLabels, colormap: colormap, cellLabels: cellLabels,
                               width: width, height: height), to: path, op: "plot.heatmap")
    }

    static func renderHeatmap(_ values: [[Double]], title: String, xLabel: String, yLabel: String, rowLabels: [String]?,
                              columnLabels: [String]?, colormap: Colormap, cellLabels: Bool,
                              width: Int, height: Int) throws -> Canvas {
        let op = "plot.heatmap"
        try checkSize(width, height, op)
        let rows = values.count
        guard rows > 0, let cols = values.first?.count, cols > 0 else {
            throw EngineError(op, "expected a non-empty matrix; got \(rows) row(s)\(rows > 0 ? " of 0 columns" : "")")
        }
        if let bad = values.firstIndex(where: { $0.count != cols }) {
            throw EngineError(op, "all rows must have \(cols) values (like row 0); row \(bad) has \(values[bad].count)")
        }
        if let rowLabels, rowLabels.count != rows {
            throw EngineError(op, "expected \(rows) row labels; got \(rowLabels.count)")
        }
        if let columnLabels, columnLabels.count != cols {
            throw EngineError(op, "expected \(cols) column labels; got \(columnLabels.count)")
        }
        let finite = values.joined().filter(\.isFinite)
        var vmin = finite.min() ?? 0, vmax = finite.max() ?? 1
        if vmin == vmax { vmin -= 0.5; vmax += 0.5 }
        try checkSpan(vmin, vmax, "values", op)

        let s = Swift.max(1, Swift.min(width, height) / 300), pad = 6 * s
        let lineH = Canvas.textHeight(scale: s)
        let rowNames = rowLabels ?? (0..<rows).map(String.init)
        let colNames = columnLabels ?? (0..<cols).map(String.init)
        let barTicks = Ticks.inside(vmin, vmax, maxCount: 6)
        let tickValues = barTicks.ticks
        let tickLabels = tickValues.map { Ticks.label($0, step: barTicks.step) }
        let barTextW = tickLabels.map { Canvas.textWidth($0, scale: s) }.max() ?? 0
        let right = pad * 2 + 16 * s + 4 * s + pad / 2 + barTextW + pad
        let titleH = title.isEmpty ? 0 : Canvas.textHeight(scale: s + 1) + pad
        let maxRowLabel = Swift.min(width / 4, rowNames.map { Canvas.textWidth($0, scale: s) }.max() ?? 0)
        let left = pad + (yLabel.isEmpty ? 0 : lineH + 2 * pad) + maxRowLabel + pad
        let top = pad * 2 + titleH
        // Column labels: horizontal unless named categories would then skip more of them
        // than vertical labels do. `every` labels every k-th row/column (k = 1, 2, 5, 10, ...).
        let widestCol = colNames.map { Canvas.textWidth($0, scale: s) }.max() ?? 0
        let guessCell = Swift.min(Double(width - left - right) / Double(cols), Double(height - top - 3 * lineH) / Double(rows))
        let everyH = Ticks.niceCount(Double(widestCol + 4 * s) / guessCell)
        let everyV = Ticks.niceCount(Double(lineH + 4 * s) / guessCell)
        let verticalCols = columnLabels != nil && everyV < everyH
        let colLabelH = verticalCols ? Swift.min(height / 4, widestCol) : lineH
        let bottom = pad + colLabelH + pad + (xLabel.isEmpty ? 0 : lineH + pad)
        let availW = Double(width - left - right), availH = Double(height - top - bottom)
        guard availW >= 10 && availH >= 10 else { throw EngineError(op, "figure \(width)x\(height) is too small for the labels") }
        let cell = Swift.min(availW / Double(cols), availH / Double(rows))
        // The figure shrinks to the matrix's aspect: width and height are upper bounds.
        let gridW = cell * Double(cols), gridH = cell * Double(rows)
        let titleW = title.isEmpty ? 0 : Canvas.textWidth(title, scale: s + 1) + 2 * pad
        let figureW = Swift.min(width, Swift.max(left + Int(gridW.rounded(.up)) + right, titleW))
        let figureH = Swift.min(height, top + Int(gridH.rounded(.up)) + bottom)
        var canvas = Canvas(width: figureW, height: figureH)
        let gx = Double(left) + Swift.max(0, (Double(figureW - left - right) - gridW) / 2), gy = Double(top)
        func edgeX(_ j: Int) -> Int { Canvas.index((gx + Double(j) * cell).rounded()) }
        func edgeY(_ i: Int) -> Int { Canvas.index((gy + Double(i) * cell).rounded()) }

        // Cells, and their labels when asked for and they fit (one text size for all cells:
        // the figure's, or one step smaller, or none).
        let integral = finite.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 }
        let largest = finite.map(abs).max() ?? 0
        let decimals = integral ? 0 : largest >= 100 ? 0 : largest >= 10 ? 1 : 2
        func cellText(_ v: Double) -> String { v.isFinite ? Ticks.fixed(v, decimals: decimals) : "nan" }
        var labelScale = 0
        if cellLabels {
            let widest = values.joined().map { Canvas.textWidth(cellText($0), scale: 1) }.max() ?? 0
            for k in Swift.stride(from: s, through: 1, by: -1)
            where Double(widest * k + 4 * k) <= cell && Double(Canvas.textHeight(scale: k) + 4 * k) <= cell {
                labelScale = k
                break
            }
        }
        for i in 0..<rows {
            for j in 0..<cols {
                let v = values[i][j]
                let color = colormap.color(v.isFinite ? (v - vmin) / (vmax - vmin) : .nan)
                let (xa, xb, ya, yb) = (edgeX(j), Swift.max(edgeX(j + 1), edgeX(j) + 1), edgeY(i), Swift.max(edgeY(i + 1), edgeY(i) + 1))
                canvas.fillPixels(xa, ya, xb, yb, color)
                if labelScale > 0 {
                    canvas.text(cellText(v), (xa + xb) / 2, (ya + yb) / 2, scale: labelScale,
                                color: color.luminance > 0.5 ? .black : .white, h: .center, v: .center)
                }
            }
        }
        let gx0 = edgeX(0), gx1 = edgeX(cols), gy0 = edgeY(0), gy1 = edgeY(rows)
        canvas.strokePixels(gx0 - 1, gy0 - 1, gx1 + 1, gy1 + 1, Figure.frameColor)

        // Row labels (every k-th when crowded), column labels below.
        let rowEvery = Ticks.niceCount(Double(lineH + 4 * s) / cell)
        for i in Swift.stride(from: 0, to: rows, by: rowEvery) {
            let y = Canvas.index(gy + (Double(i) + 0.5) * cell)
            let text = Canvas.fitted(rowNames[i], maxWidth: maxRowLabel, scale: s)
            canvas.text(text, gx0 - pad, y, scale: s, color: Figure.textColor, h: .end, v: .center)
        }
        let colEvery = Ticks.niceCount(Double(verticalCols ? lineH + 4 * s : widestCol + 4 * s) / cell)
        for j in Swift.stride(from: 0, to: cols, by: colEvery) {
            let x = Canvas.index(gx + (Double(j) + 0.5) * cell)
            if verticalCols {
                let text = Canvas.fitted(colNames[j], maxWidth: colLabelH, scale: s)
                let w = Canvas.textWidth(text, scale: s)
                canvas.verticalText(text, x, gy1 + pad + w / 2, scale: s, color: Figure.textColor)
            } else {
                canvas.text(colNames[j], x, gy1 + pad, scale: s, color: Figure.textColor, h: .center)
            }
        }
        if !title.isEmpty {
            let text = Canvas.fitted(title, maxWidth: figureW - 2 * pad, scale: s + 1)
            let center = Swift.min(Swift.max((gx0 + gx1) / 2, Canvas.textWidth(text, scale: s + 1) / 2 + pad),
                                   figureW - Canvas.textWidth(text, scale: s + 1) / 2 - pad)
            canvas.text(text, center, pad * 2, scale: s + 1, color: Figure.textColor, h: .center)
        }
        if !xLabel.isEmpty {
            canvas.text(Canvas.fitted(xLabel, maxWidth: figureW - 2 * pad, scale: s), (gx0 + gx1) / 2,
                        gy1 + pad + colLabelH + pad, scale: s, color: Figure.textColor, h: .center)
        }
        if !yLabel.isEmpty {
            canvas.verticalText(Canvas.fitted(yLabel, maxWidth: gy1 - gy0, scale: s), pad + lineH / 2, (gy0 + gy1) / 2,
                                scale: s, color: Figure.textColor)
        }

        // Colorbar: as tall as the grid, vmax at the top.
        let bx0 = gx1 + pad * 2, bx1 = bx0 + 16 * s
        let by0 = gy0, by1 = Swift.max(gy1, gy0 + 2)
        for y in by0..<by1 {
            let t = 1 - (Double(y - by0) + 0.5) / Double(by1 - by0)
            canvas.fillPixels(bx0, y, bx1, y + 1, colormap.color(t))
        }
        canvas.strokePixels(bx0 - 1, by0 - 1, bx1 + 1, by1 + 1, Figure.frameColor)
        for (v, label) in zip(tickValues, tickLabels) {
            let y = by1 - 1 - Canvas.index(((v - vmin) / (vmax - vmin) * Double(by1 - by0 - 1)).rounded())
            canvas.fillPixels(bx1, y, bx1 + 4 * s, y + 1, Figure.frameColor)
            canvas.text(label, bx1 + 4 * s + pad / 2, y, scale: s, color: Figure.textColor, v: .center)
        }
        return canvas
    }

    // MARK: Image grid

    /// Images in a grid of `columns`, each `imageHeight` × `imageWidth` with `channels` 1 (gray)
    /// or 3 (RGB, channel-major as tensors lay them out), scaled up to a comfortable size.
    /// With `normalize`, each image is stretched to its own min...max; otherwise values are
    /// taken as 0...1 and clamped. `titles` (one per image) go above the images.
    public static func imageGrid(_ images: [[Float]], imageHeight: Int, imageWidth: Int, channels: Int = 1,
                                 titles: [String]? = nil, columns: Int = 8, title: String = "", normalize: Bool = true,
                                 to path: String) throws {
        try save(renderImageGrid(images, imageHeight: imageHeight, imageWidth: imageWidth, channels: channels,
                                 titles: titles, columns: columns, title: title, normalize: normalize),
                 to: path, op: "plot.image_grid")
    }

    static func renderImageGrid(_ images: [[Float]], imageHeight h: Int, imageWidth w: Int, channels: Int,
                                titles: [String]?, columns: Int, title: String, normalize: Bool) throws -> Canvas {
        let op = "plot.image_grid"
        guard !images.isEmpty else { throw EngineError(op, "expected at least one image; got none") }
        guard channels == 1 || channels == 3 else { throw EngineError(op, "channels must be 1 or 3; got \(channels)") }
        let expected = channels * h * w
        if let bad = images.firstIndex(where: { $0.count != expected }) {
            throw EngineError(op, "image \(bad) has \(images[bad].count) values; expected \(expected) (\(channels)x\(h)x\(w))")
        }
        if let titles, titles.count != images.count {
            throw EngineError(op, "expected one title per image (\(images.count)); got \(titles.count)")
        }
        let layout = try ImageGridLayout(op: op, count: images.count, imageHeight: h, imageWidth: w, columns: columns,
                                         captions: titles != nil, title: title)
        var canvas = layout.canvas()
        let captionScale = layout.captionScale(titles ?? [])
        for (index, image) in images.enumerated() {
            if let titles { layout.caption(titles[index], index, scale: captionScale, on: &canvas) }
            paintImage(image, height: h, width: w, channels: channels, normalize: normalize, at: layout.origin(index),
                       scale: layout.scale, on: &canvas)
            layout.frame(index, on: &canvas)
        }
        return canvas
    }

    /// Paints one image (gray, or RGB channel-major: all red, then green, then blue) with its
    /// top-left at `origin`, each pixel a `scale` × `scale` block.
    static func paintImage(_ image: [Float], height h: Int, width w: Int, channels: Int, normalize: Bool,
                           at origin: (left: Int, top: Int), scale k: Int, on canvas: inout Canvas) {
        let (left, top) = origin
        var lo: Float = 0, hi: Float = 1
        if normalize {
            let finite = image.filter(\.isFinite)
            lo = finite.min() ?? 0
            hi = finite.max() ?? 1
            if lo == hi { lo -= 0.5; hi += 0.5 }
        }
        let plane = h * w
        for y in 0..<h {
            for x in 0..<w {
                let color: RGB
                if channels == 1 {
                    color = Colormap.gray.color(Double((image[y * w + x] - lo) / (hi - lo)))
                } else {
                    func level(_ ch: Int) -> UInt8 {
                        let v = Double((image[ch * plane + y * w + x] - lo) / (hi - lo))
                        return v.isNaN ? 220 : UInt8(Swift.max(0, Swift.min(1, v)) * 255 + 0.5)
                    }
                    color = RGB(level(0), level(1), level(2))
                }
                canvas.fillPixels(left + x * k, top + y * k, left + (x + 1) * k, top + (y + 1) * k, color)
            }
        }
    }
}
