import XCTest
@testable import Engine

/// Wafer-map grids and boxes on images: the rendered pixels sit where the data say.
final class PlotDomainTests: XCTestCase {
    /// A 6x6 map: off-wafer corners, pass dies, one fail die at row 2, column 3 (0-based).
    private func smallMap() -> [Plot.DieState] {
        (0..<36).map { i in
            let (y, x) = (i / 6, i % 6)
            if (y == 0 || y == 5) && (x == 0 || x == 5) { return .offWafer }
            return y == 2 && x == 3 ? .fail : .pass
        }
    }

    func testDieStatesFromBothEncodings() throws {
        XCTAssertEqual(try Plot.dieStates([0, 0.5, 1], halves: true, size: (1, 3), map: 0), [.offWafer, .pass, .fail])
        XCTAssertEqual(try Plot.dieStates([0, 1, 2], halves: false, size: (1, 3), map: 0), [.offWafer, .pass, .fail])
        assertEngineError("plot.wafer_maps", "map 2 has 0.3 at row 1, column 2") {
            _ = try Plot.dieStates([0, 0.3, 1, 1], halves: true, size: (2, 2), map: 1, indexBase: 1)
        }
        assertEngineError("plot.wafer_maps", "expected 0 (off-wafer), 1 (pass) or 2 (fail)") {
            _ = try Plot.dieStates([3], halves: false, size: (1, 1), map: 0)
        }
        assertEngineError("plot.wafer_maps", "has nan") { _ = try Plot.dieStates([.nan], halves: true, size: (1, 1), map: 0) }
        assertEngineError("plot.wafer_maps", "has -1.0") { _ = try Plot.dieStates([-1], halves: false, size: (1, 1), map: 0) }
    }

    func testWaferMapPixelsFollowTheDieStates() throws {
        let canvas = try Plot.renderWaferMaps([smallMap(), smallMap()], size: (6, 6), captions: ["Loc", "Loc"],
                                              highlighted: [false, true], columns: 2, title: "maps")
        let layout = try ImageGridLayout(op: "t", count: 2, imageHeight: 6, imageWidth: 6, columns: 2, target: 150,
                                         captions: true, title: "maps",
                                         legend: Plot.DieState.allCases.map { (text: $0.name, color: $0.color) })
        XCTAssertEqual(canvas.width, layout.width)
        XCTAssertEqual(canvas.height, layout.height)
        let k = layout.scale
        XCTAssertEqual(k, 16)
        for index in 0..<2 {
            let (left, top) = layout.origin(index)
            func center(_ y: Int, _ x: Int) -> RGB { canvas.pixel(left + x * k + k / 2, top + y * k + k / 2) }
            XCTAssertEqual(center(0, 0), Plot.DieState.offWafer.color)
            XCTAssertEqual(center(1, 1), Plot.DieState.pass.color)
            XCTAssertEqual(center(2, 3), Plot.DieState.fail.color)
            XCTAssertEqual(center(3, 3), Plot.DieState.pass.color)
        }
        // The legend shows all three states: each color appears below the grid.
        let legendTop = layout.height - layout.legendHeight
        for state in [Plot.DieState.pass, .fail] {
            let found = (legendTop..<layout.height).contains { y in (0..<layout.width).contains { canvas.pixel($0, y) == state.color } }
            XCTAssertTrue(found, "legend lacks \(state.name)")
        }
        // The highlighted caption is red, the other is not.
        func hasRed(_ index: Int) -> Bool {
            let (left, top) = layout.origin(index)
            return (top - layout.captionHeight..<top).contains { y in
                (left..<(left + layout.cellWidth)).contains { canvas.pixel($0, y) == RGB(hex: 0xC0392B) }
            }
        }
        XCTAssertFalse(hasRed(0))
        XCTAssertTrue(hasRed(1))
    }

    func testLongCaptionsShrinkBeforeTheyAreShortened() throws {
        // 26 dies x 4 = 104-pixel cells: 19 characters do not fit at scale 2 but do at scale 1.
        let text = "Edge-Ring->Edge-Loc"
        let map = [Plot.DieState](repeating: .pass, count: 26 * 26)
        let canvas = try Plot.renderWaferMaps([map, map], size: (26, 26), captions: [text, "none"], highlighted: [true, false],
                                              columns: 2, title: "")
        let layout = try ImageGridLayout(op: "t", count: 2, imageHeight: 26, imageWidth: 26, columns: 2, target: 150,
                                         captions: true, title: "")
        XCTAssertEqual(layout.labelScale, 2)
        let (left, top) = layout.origin(0)
        let red = RGB(hex: 0xC0392B)
        let xs = left - layout.gap..<(left + layout.cellWidth + layout.gap), ys = top - layout.captionHeight..<top
        let columns = xs.filter { x in ys.contains { canvas.pixel(x, $0) == red } }
        let rows = ys.filter { y in xs.contains { canvas.pixel($0, y) == red } }
        // Whole text at scale 1: glyphs 7 pixels tall plus descenders (not 14), spanning about
        // its full width; the short caption beside it is drawn at the same scale.
        XCTAssertLessThan(rows.count, Canvas.textHeight(scale: 2))
        XCTAssertEqual(layout.captionScale([text, "none"]), 1)
        XCTAssertEqual(layout.captionScale(["none"]), 2)
        let span = (columns.max() ?? 0) - (columns.min() ?? 0) + 1
        XCTAssertLessThanOrEqual(span, Canvas.textWidth(text, scale: 1))
        XCTAssertGreaterThan(span, Canvas.textWidth(text, scale: 1) - 6)
    }

    func testWaferMapErrors() {
        assertEngineError("plot.wafer_maps", "at least one map") { _ = try Plot.renderWaferMaps([], size: (2, 2), captions: nil,
                                                                                               highlighted: nil, columns: 2, title: "") }
        assertEngineError("plot.wafer_maps", "map 1 has 3 dies; expected 4 (2x2)") {
            _ = try Plot.renderWaferMaps([[.pass, .pass, .pass, .pass], [.pass, .pass, .pass]], size: (2, 2), captions: nil,
                                         highlighted: nil, columns: 2, title: "")
        }
        assertEngineError("plot.wafer_maps", "one caption per map (1); got 2") {
            _ = try Plot.renderWaferMaps([[.pass]], size: (1, 1), captions: ["a", "b"], highlighted: nil, columns: 2, title: "")
        }
    }

    func testBoxesSitOnTheirPixels() throws {
        // A 20x20 dark image; one box on columns 4...9, rows 6...11 (0-based, inclusive).
        let image = [Float](repeating: 0.2, count: 400)
        let box = Plot.ImageBox(x1: 4, y1: 6, x2: 9, y2: 11, label: 1, score: 0.9)
        let canvas = try Plot.renderBoxes([image], imageHeight: 20, imageWidth: 20, channels: 1, boxes: [[box]],
                                          classNames: ["scratch", "particle"], titles: nil, columns: 1, title: "",
                                          normalize: false)
        let layout = try ImageGridLayout(op: "t", count: 1, imageHeight: 20, imageWidth: 20, columns: 1, target: 256,
                                         captions: false, title: "",
                                         legend: [(text: "scratch", color: .black), (text: "particle", color: .black)])
        let k = layout.scale, (left, top) = layout.origin(0)
        let color = Colormap.category(1)
        // Just outside the box's pixels on each side: the class color (edges are 2 pixels wide).
        let midY = top + 9 * k, midX = left + 7 * k
        XCTAssertEqual(canvas.pixel(left + 4 * k - 1, midY), color, "left edge")
        XCTAssertEqual(canvas.pixel(left + 10 * k, midY), color, "right edge")
        XCTAssertEqual(canvas.pixel(midX, top + 12 * k), color, "bottom edge")
        // Inside the box and far from it: the image's own gray.
        let gray = Colormap.gray.color(0.2)
        XCTAssertEqual(canvas.pixel(left + 4 * k + 2, top + 9 * k), gray)
        XCTAssertEqual(canvas.pixel(left + 18 * k, top + 18 * k), gray)
        // The tag (class name and score) sits on a patch of the class color just above the box.
        XCTAssertEqual(canvas.pixel(left + 4 * k, top + 6 * k - 4), color, "tag above the box")
    }

    func testBoxErrorsNameTheBoxAndTheImage() {
        let image = [Float](repeating: 0, count: 16)
        func render(_ boxes: [[Plot.ImageBox]], images: [[Float]]? = nil) throws {
            _ = try Plot.renderBoxes(images ?? [image], imageHeight: 4, imageWidth: 4, channels: 1, boxes: boxes,
                                     classNames: ["a"], titles: nil, columns: 1, title: "", normalize: true)
        }
        assertEngineError("plot.boxes", "one list of boxes per image (2 images of 1x4x4); got 1") {
            try render([[]], images: [image, image])
        }
        assertEngineError("plot.boxes", "image 0 box 0 (x1=3.0, y1=0.0, x2=1.0, y2=2.0): expected finite corners") {
            try render([[Plot.ImageBox(x1: 3, y1: 0, x2: 1, y2: 2, label: 0)]])
        }
        assertEngineError("plot.boxes", "lies outside the 4x4 image") {
            try render([[Plot.ImageBox(x1: 5, y1: 0, x2: 6, y2: 2, label: 0)]])
        }
        assertEngineError("plot.boxes", "label 2 is not a class (1...1)") {
            try render([[Plot.ImageBox(x1: 0, y1: 0, x2: 1, y2: 1, label: 1)]])
        }
        assertEngineError("plot.boxes", "image 0 has 15 values; expected 16 (1x4x4)") {
            try render([[]], images: [[Float](repeating: 0, count: 15)])
        }
    }
}
