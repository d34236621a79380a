/// Images with object boxes drawn on them (die images with their defects, ground truth or a
/// detector's predictions): one colored rectangle per box, a tag with the class name (and the
/// score, for predictions), and a legend of the classes.
extension Plot {
    /// One box on an image: pixel columns `x1...x2` and rows `y1...y2`, 0-based and inclusive
    /// (fractional for predictions), `label` a 0-based class index, `score` in [0, 1] or nil.
    public struct ImageBox: Sendable, Equatable {
        public var x1: Double, y1: Double, x2: Double, y2: Double
        public var label: Int
        public var score: Double?

        public init(x1: Double, y1: Double, x2: Double, y2: Double, label: Int, score: Double? = nil) {
            self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2
            self.label = label
            self.score = score
        }
    }

    /// `images` (each `imageHeight` × `imageWidth`, 1 or 3 channels channel-major) in a grid of
    /// `columns`, `boxes[i]` drawn on image i in the color of their class.
    public static func boxes(_ images: [[Float]], imageHeight: Int, imageWidth: Int, channels: Int = 1,
                             boxes: [[ImageBox]], classNames: [String], titles: [String]? = nil, columns: Int = 4,
                             title: String = "", normalize: Bool = true, to path: String) throws {
        try save(renderBoxes(images, imageHeight: imageHeight, imageWidth: imageWidth, channels: channels, boxes: boxes,
                             classNames: classNames, titles: titles, columns: columns, title: title, normalize: normalize),
                 to: path, op: "plot.boxes")
    }

    static func renderBoxes(_ images: [[Float]], imageHeight h: Int, imageWidth w: Int, channels: Int,
                            boxes: [[ImageBox]], classNames: [String], titles: [String]?, columns: Int,
                            title: String, normalize: Bool) throws -> Canvas {
        let op = "plot.boxes"
        guard channels == 1 || channels == 3 else { throw EngineError(op, "channels must be 1 or 3; got \(channels)") }
        if let bad = images.firstIndex(where: { $0.count != channels * h * w }) {
            throw EngineError(op, "image \(bad) has \(images[bad].count) values; expected \(channels * h * w) (\(channels)x\(h)x\(w))")
        }
        guard boxes.count == images.count else {
            throw EngineError(op, "expected one list of boxes per image (\(images.count) images of \(channels)x\(h)x\(w)); got \(boxes.count)")
        }
        if let titles, titles.count != images.count {
            throw EngineError(op, "expected one title per image (\(images.count)); got \(titles.count)")
        }
        guard !classNames.isEmpty else { throw EngineError(op, "expected at least one class name") }
        for (i, list) in boxes.enumerated() {
            for (k, b) in list.enumerated() {
                let where_ = "image \(i) box \(k) (x1=\(b.x1), y1=\(b.y1), x2=\(b.x2), y2=\(b.y2))"
                guard [b.x1, b.y1, b.x2, b.y2].allSatisfy(\.isFinite), b.x1 <= b.x2, b.y1 <= b.y2 else {
                    throw EngineError(op, "\(where_): expected finite corners with x1 <= x2 and y1 <= y2")
                }
                guard b.x2 >= 0, b.y2 >= 0, b.x1 <= Double(w - 1), b.y1 <= Double(h - 1) else {
                    throw EngineError(op, "\(where_) lies outside the \(h)x\(w) image")
                }
                guard classNames.indices.contains(b.label) else {
                    throw EngineError(op, "\(where_): label \(b.label + 1) is not a class (1...\(classNames.count))")
                }
            }
        }
        let legend = classNames.enumerated().map { (text: $0.element, color: Colormap.category($0.offset)) }
        let layout = try ImageGridLayout(op: op, count: images.count, imageHeight: h, imageWidth: w, columns: columns,
                                         target: 256, captions: titles != nil, title: title, legend: legend)
        var canvas = layout.canvas()
        let k = Double(layout.scale), s = layout.labelScale
        let captionScale = layout.captionScale(titles ?? [])
        for (index, image) in images.enumerated() {
            if let titles { layout.caption(titles[index], index, scale: captionScale, on: &canvas) }
            let origin = layout.origin(index)
            paintImage(image, height: h, width: w, channels: channels, normalize: normalize, at: origin,
                       scale: layout.scale, on: &canvas)
            layout.frame(index, on: &canvas)
            // Rectangles first, then all tags, so a tag is never crossed by another box's edge.
            let cell = (x0: origin.left, y0: origin.top, x1: origin.left + layout.cellWidth, y1: origin.top + layout.cellHeight)
            canvas.clip = (cell.x0 - 3, cell.y0 - 3, cell.x1 + 3, cell.y1 + 3)
            func rect(_ b: ImageBox) -> (x0: Double, y0: Double, x1: Double, y1: Double) {
                (Double(cell.x0) + b.x1 * k, Double(cell.y0) + b.y1 * k, Double(cell.x0) + (b.x2 + 1) * k, Double(cell.y0) + (b.y2 + 1) * k)
            }
            let list = boxes[index].sorted { ($0.score ?? 1) < ($1.score ?? 1) }  // most confident drawn last
            for b in list {
                let r = rect(b), color = Colormap.category(b.label), t = 2.0
                canvas.fillRect(r.x0 - t, r.y0 - t, r.x1 + t, r.y0, color)
                canvas.fillRect(r.x0 - t, r.y1, r.x1 + t, r.y1 + t, color)
                canvas.fillRect(r.x0 - t, r.y0, r.x0, r.y1, color)
                canvas.fillRect(r.x1, r.y0, r.x1 + t, r.y1, color)
            }
            canvas.clip = (cell.x0, cell.y0, cell.x1, cell.y1)
            for b in list {
                let r = rect(b), color = Colormap.category(b.label)
                var text = classNames[b.label]
                if let score = b.score { text += " " + Ticks.fixed(score, decimals: 2) }
                let tagW = Canvas.textWidth(text, scale: s) + 4 * s, tagH = Canvas.textHeight(scale: s) + 3 * s
                // Above the box when there is room in the cell, else just inside its top edge.
                var x = Canvas.index(r.x0 - 2), y = Canvas.index(r.y0 - 2) - tagH
                if y < cell.y0 { y = Canvas.index(r.y0) }
                x = Swift.max(cell.x0, Swift.min(x, cell.x1 - tagW))
                canvas.fillPixels(x, y, x + tagW, y + tagH, color)
                canvas.text(text, x + 2 * s, y + 2 * s, scale: s, color: color.luminance > 0.55 ? .black : .white)
            }
            canvas.clip = (0, 0, canvas.width, canvas.height)
        }
        layout.legend(on: &canvas)
        return canvas
    }
}
