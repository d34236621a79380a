/// Wafer bin maps drawn the way test engineers read them: off-wafer positions white, passing
/// dies a light green, failing dies dark red, one map per cell with its class as caption.
extension Plot {
    /// The die states of a wafer map, in the codes `data.wafer_maps` uses.
    public enum DieState: UInt8, CaseIterable, Sendable {
        case offWafer = 0, pass = 1, fail = 2

        public var name: String {
            switch self {
            case .offWafer: return "off-wafer"
            case .pass: return "pass"
            case .fail: return "fail"
            }
        }

        var color: RGB {
            switch self {
            case .offWafer: return .white
            case .pass: return RGB(hex: 0x9ED39A)
            case .fail: return RGB(hex: 0xB2182B)
            }
        }
    }

    /// Die states from map values: codes 0/1/2 (`as_codes = true`), or the float encoding
    /// 0 / 0.5 / 1 when `halves` (the default maps). Any other value is an error naming map,
    /// row and column (counted from `indexBase`: 1 for messages to Lua).
    public static func dieStates(_ values: [Float], halves: Bool, size: (h: Int, w: Int), map: Int, indexBase: Int = 0,
                                 op: String = "plot.wafer_maps") throws -> [DieState] {
        try values.enumerated().map { (index, v) throws -> DieState in
            let code = halves ? v * 2 : v
            if code >= 0, code <= 2, code == code.rounded(), let state = DieState(rawValue: UInt8(code)) { return state }
            let expected = halves ? "0 (off-wafer), 0.5 (pass) or 1 (fail)" : "0 (off-wafer), 1 (pass) or 2 (fail)"
            let (row, column) = (index / size.w + indexBase, index % size.w + indexBase)
            throw EngineError(op, "map \(map + indexBase) has \(v) at row \(row), column \(column); expected \(expected)")
        }
    }

    /// Wafer maps (each `size.h` × `size.w` die states, row-major) in a grid of `columns`.
    /// `captions` (one per map, e.g. class names) go above the maps; captions marked in
    /// `highlighted` are drawn red (e.g. misclassified maps). A legend of the die states is
    /// drawn below.
    public static func waferMaps(_ maps: [[DieState]], size: (h: Int, w: Int), captions: [String]? = nil,
                                 highlighted: [Bool]? = nil, columns: Int = 6, title: String = "",
                                 to path: String) throws {
        try save(renderWaferMaps(maps, size: size, captions: captions, highlighted: highlighted, columns: columns,
                                 title: title), to: path, op: "plot.wafer_maps")
    }

    static func renderWaferMaps(_ maps: [[DieState]], size: (h: Int, w: Int), captions: [String]?,
                                highlighted: [Bool]?, columns: Int, title: String) throws -> Canvas {
        let op = "plot.wafer_maps"
        guard !maps.isEmpty else { throw EngineError(op, "expected at least one map; got none") }
        if let bad = maps.firstIndex(where: { $0.count != size.h * size.w }) {
            throw EngineError(op, "map \(bad) has \(maps[bad].count) dies; expected \(size.h * size.w) (\(size.h)x\(size.w))")
        }
        if let captions, captions.count != maps.count {
            throw EngineError(op, "expected one caption per map (\(maps.count)); got \(captions.count)")
        }
        if let highlighted, highlighted.count != maps.count {
            throw EngineError(op, "expected one highlight flag per map (\(maps.count)); got \(highlighted.count)")
        }
        let legend = DieState.allCases.map { (text: $0.name, color: $0.color) }
        let layout = try ImageGridLayout(op: op, count: maps.count, imageHeight: size.h, imageWidth: size.w,
                                         columns: columns, target: 150, captions: captions != nil, title: title,
                                         legend: legend)
        var canvas = layout.canvas()
        let k = layout.scale, captionScale = layout.captionScale(captions ?? [])
        for (index, map) in maps.enumerated() {
            if let captions {
                let wrong = highlighted?[index] ?? false
                layout.caption(captions[index], index, scale: captionScale, color: wrong ? RGB(hex: 0xC0392B) : Figure.textColor,
                               on: &canvas)
            }
            let (left, top) = layout.origin(index)
            for y in 0..<size.h {
                for x in 0..<size.w {
                    let state = map[y * size.w + x]
                    guard state != .offWafer else { continue }
                    // Dies 4+ pixels wide keep a one-pixel lighter seam so the die grid shows.
                    let seam = k >= 4 ? 1 : 0
                    canvas.fillPixels(left + x * k, top + y * k, left + (x + 1) * k - seam, top + (y + 1) * k - seam,
                                      state.color)
                }
            }
            layout.frame(index, on: &canvas)
        }
        layout.legend(on: &canvas)
        return canvas
    }
}
