/// Where things go in a figure made of a grid of small images (image grids, wafer maps, die
/// images with boxes): a title on top, then `rows` × `columns` cells, each an image scaled up by
/// `scale` with an optional caption line above it, then an optional legend of colored swatches.
struct ImageGridLayout {
    let count: Int, columns: Int, rows: Int
    /// Figure pixels per image pixel.
    let scale: Int
    /// An image's size in figure pixels.
    let cellWidth: Int, cellHeight: Int
    /// Text scales of captions/legend and of the title.
    let labelScale: Int, titleScale: Int
    let captionHeight: Int, headHeight: Int, legendHeight: Int
    let width: Int, height: Int
    let gap = 10
    private let gridLeft: Int
    private let title: String
    private let legendLines: [[(text: String, color: RGB)]]

    /// Lays out `count` images of `imageHeight` × `imageWidth` in `columns`, each scaled up to
    /// about `target` pixels on its longer side (at most 16×, so a 3x3 filter is 48 pixels,
    /// and within a 4096-pixel-wide grid).
    init(op: String, count: Int, imageHeight h: Int, imageWidth w: Int, columns: Int, target: Int = 112,
         captions: Bool, title: String, legend: [(text: String, color: RGB)] = []) throws {
        guard count > 0 else { throw EngineError(op, "expected at least one image; got none") }
        guard h >= 1 && w >= 1 && h <= 4096 && w <= 4096 else {
            throw EngineError(op, "image size must be between 1x1 and 4096x4096; got \(h)x\(w)")
        }
        guard columns >= 1 else { throw EngineError(op, "columns must be positive; got \(columns)") }
        self.count = count
        self.columns = Swift.min(columns, count)
        rows = (count + self.columns - 1) / self.columns
        var k = Swift.max(1, Swift.min(16, target / Swift.max(h, w)))
        while k > 1 && self.columns * (w * k + gap) > 4096 { k -= 1 }
        scale = k
        cellWidth = w * k
        cellHeight = h * k
        labelScale = cellWidth >= 96 ? 2 : 1
        titleScale = labelScale + 1
        captionHeight = captions ? Canvas.textHeight(scale: labelScale) + 2 * labelScale + 6 : 0  // room for descenders
        headHeight = title.isEmpty ? 0 : Canvas.textHeight(scale: titleScale) + 14
        self.title = title
        let gridWidth = self.columns * (cellWidth + gap) + gap
        width = Swift.max(gridWidth, title.isEmpty ? 0 : Canvas.textWidth(title, scale: titleScale) + 2 * gap)
        // Legend items flow left to right and wrap at the figure's width.
        var lines: [[(text: String, color: RGB)]] = []
        var lineWidth = 0
        let swatch = Canvas.textHeight(scale: labelScale)
        for item in legend {
            let itemWidth = swatch + 4 * labelScale + Canvas.textWidth(item.text, scale: labelScale) + 6 * labelScale
            if lines.isEmpty || lineWidth + itemWidth > width - 2 * gap {
                lines.append([])
                lineWidth = 0
            }
            lines[lines.count - 1].append(item)
            lineWidth += itemWidth
        }
        legendLines = lines
        legendHeight = lines.count * (swatch + 6 * labelScale) + (lines.isEmpty ? 0 : gap / 2)
        height = headHeight + gap + rows * (cellHeight + captionHeight + gap) + legendHeight
        guard width <= 8192 && height <= 8192 else {
            throw EngineError(op, "the grid would be \(width)x\(height) pixels (over 8192); use fewer columns or images")
        }
        gridLeft = (width - (self.columns * (cellWidth + gap) - gap)) / 2
    }

    /// Top-left pixel of image `index`'s cell (below its caption).
    func origin(_ index: Int) -> (left: Int, top: Int) {
        let r = index / columns, c = index % columns
        return (gridLeft + c * (cellWidth + gap), headHeight + gap + r * (cellHeight + captionHeight + gap) + captionHeight)
    }

    /// A blank canvas with the title drawn.
    func canvas() -> Canvas {
        var canvas = Canvas(width: width, height: height)
        if !title.isEmpty {
            canvas.text(title, width / 2, gap, scale: titleScale, color: Figure.textColor, h: .center)
        }
        return canvas
    }

    /// Pixels a caption may span: its cell and most of the gaps beside it.
    var captionRoom: Int { cellWidth + gap - 1 }

    /// The text scale for a figure's captions: `labelScale`, or smaller when one of them would
    /// not fit its cell (one size for all captions, so they read as a set).
    func captionScale(_ captions: [String]) -> Int {
        var scale = labelScale
        while scale > 1 && captions.contains(where: { Canvas.textWidth($0, scale: scale) > captionRoom }) { scale -= 1 }
        return scale
    }

    /// Draws the caption of image `index` centered above it at `scale` (from `captionScale`),
    /// shortened with ".." when it still does not fit.
    func caption(_ text: String, _ index: Int, scale: Int, color: RGB = Figure.textColor, on canvas: inout Canvas) {
        let (left, top) = origin(index)
        let fitted = Canvas.fitted(text, maxWidth: captionRoom, scale: scale)
        // Smaller text sits on the same baseline as full-size captions.
        let y = top - captionHeight + Canvas.textHeight(scale: labelScale) - Canvas.textHeight(scale: scale)
        canvas.text(fitted, left + cellWidth / 2, y, scale: scale, color: color, h: .center)
    }

    /// The thin frame around image `index`.
    func frame(_ index: Int, on canvas: inout Canvas) {
        let (left, top) = origin(index)
        canvas.strokePixels(left - 1, top - 1, left + cellWidth + 1, top + cellHeight + 1, RGB(170, 170, 170))
    }

    /// Draws the legend (swatch, then name) under the grid, each line centered.
    func legend(on canvas: inout Canvas) {
        let swatch = Canvas.textHeight(scale: labelScale)
        var y = height - legendHeight
        for line in legendLines {
            let widths = line.map { swatch + 4 * labelScale + Canvas.textWidth($0.text, scale: labelScale) }
            let total = widths.reduce(0, +) + 6 * labelScale * (line.count - 1)
            var x = Swift.max(gap, (width - total) / 2)
            for (item, itemWidth) in zip(line, widths) {
                canvas.fillPixels(x, y, x + swatch, y + swatch, item.color)
                canvas.strokePixels(x, y, x + swatch, y + swatch, RGB(120, 120, 120))
                canvas.text(item.text, x + swatch + 4 * labelScale, y, scale: labelScale, color: Figure.textColor)
                x += itemWidth + 6 * labelScale
            }
            y += swatch + 6 * labelScale
        }
    }
}
