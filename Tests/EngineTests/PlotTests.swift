import XCTest
import Foundation
@testable import Engine

/// An independent PNG reader for the tests: chunk walk with a bitwise CRC-32, zlib header and
/// Adler-32 check, and an inflater for stored and fixed-Huffman deflate blocks.
private enum PNGCheck {
    struct Image { let width: Int, height: Int, rgb: [UInt8], chunkTypes: [String], storedOnly: Bool }
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~c
    }

    static func adler(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        return b << 16 | a
    }

    static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func read(_ bytes: [UInt8]) throws -> Image {
        guard Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { throw Failure(description: "signature") }
        var i = 8, types: [String] = [], idat: [UInt8] = [], width = 0, height = 0
        while i + 12 <= bytes.count {
            let length = Int(be32(bytes, i))
            guard i + 12 + length <= bytes.count else { throw Failure(description: "chunk overruns file") }
            let typeAndData = Array(bytes[(i + 4)..<(i + 8 + length)])
            let type = String(decoding: typeAndData.prefix(4), as: UTF8.self)
            guard crc(typeAndData) == be32(bytes, i + 8 + length) else { throw Failure(description: "bad CRC in \(type)") }
            let data = Array(typeAndData.dropFirst(4))
            if type == "IHDR" {
                width = Int(be32(data, 0)); height = Int(be32(data, 4))
                guard Array(data[8...]) == [8, 2, 0, 0, 0] else { throw Failure(description: "IHDR fields \(Array(data[8...]))") }
            }
            if type == "IDAT" { idat += data }
            types.append(type)
            i += 12 + length
        }
        guard i == bytes.count else { throw Failure(description: "trailing bytes") }
        guard types.first == "IHDR", types.last == "IEND" else { throw Failure(description: "chunk order \(types)") }
        guard idat.count >= 6, (Int(idat[0]) << 8 | Int(idat[1])) % 31 == 0, idat[0] & 0x0F == 8 else {
            throw Failure(description: "zlib header")
        }
        let (raw, storedOnly) = try inflate(Array(idat[2..<(idat.count - 4)]))
        guard adler(raw) == be32(idat, idat.count - 4) else { throw Failure(description: "Adler-32 mismatch") }
        let stride = width * 3
        guard raw.count == height * (stride + 1) else {
            throw Failure(description: "inflated \(raw.count) bytes; expected \(height * (stride + 1))")
        }
        return Image(width: width, height: height, rgb: try unfilter(raw, width: width, height: height),
                     chunkTypes: types, storedOnly: storedOnly)
    }

    static func unfilter(_ raw: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let stride = width * 3
        var out = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let f = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + x]
                let a = x >= 3 ? Int(out[y * stride + x - 3]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + x]) : 0
                let c = x >= 3 && y > 0 ? Int(out[(y - 1) * stride + x - 3]) : 0
                let predictor: Int
                switch f {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure(description: "filter type \(f)")
                }
                out[y * stride + x] = UInt8((Int(v) + predictor) & 0xFF)
            }
        }
        return out
    }

    /// Inflates stored and fixed-Huffman blocks (enough for the engine's encoder).
    static func inflate(_ data: [UInt8]) throws -> ([UInt8], storedOnly: Bool) {
        var pos = 0, bit = 0, out: [UInt8] = [], storedOnly = true
        func bits(_ n: Int) throws -> Int {
            var v = 0
            for k in 0..<n {
                guard pos < data.count else { throw Failure(description: "deflate data ends early") }
                v |= Int((data[pos] >> UInt8(bit)) & 1) << k
                bit += 1
                if bit == 8 { bit = 0; pos += 1 }
            }
            return v
        }
        func huffmanBit() throws -> Int { try bits(1) }
        let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                          131, 163, 195, 227, 258]
        let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
        var final = 0
        repeat {
            final = try bits(1)
            let type = try bits(2)
            if type == 0 {
                if bit != 0 { bit = 0; pos += 1 }
                guard pos + 4 <= data.count else { throw Failure(description: "stored header") }
                let len = Int(data[pos]) | Int(data[pos + 1]) << 8, nlen = Int(data[pos + 2]) | Int(data[pos + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw Failure(description: "LEN/NLEN mismatch") }
                pos += 4
                guard pos + len <= data.count else { throw Failure(description: "stored block overruns") }
                out += data[pos..<(pos + len)]
                pos += len
            } else if type == 1 {
                storedOnly = false
                while true {
                    // Fixed codes: 7 bits (256-279), 8 bits (0-143, 280-287), 9 bits (144-255).
                    var code = 0
                    for _ in 0..<7 { code = code << 1 | (try huffmanBit()) }
                    var symbol: Int
                    if code <= 0x17 { symbol = 256 + code } else {
                        code = code << 1 | (try huffmanBit())
                        if code >= 0x30 && code <= 0xBF { symbol = code - 0x30 }
                        else if code >= 0xC0 && code <= 0xC7 { symbol = 280 + code - 0xC0 }
                        else { code = code << 1 | (try huffmanBit()); symbol = 144 + code - 0x190 }
                    }
                    if symbol < 256 { out.append(UInt8(symbol)); continue }
                    if symbol == 256 { break }
                    let li = symbol - 257
                    guard li < 29 else { throw Failure(description: "bad length symbol") }
                    let length = lengthBase[li] + (try bits(lengthExtra[li]))
                    var dcode = 0
                    for _ in 0..<5 { dcode = dcode << 1 | (try huffmanBit()) }
                    guard dcode < 30 else { throw Failure(description: "bad distance code") }
                    let distance = distBase[dcode] + (try bits(distExtra[dcode]))
                    guard distance <= out.count else { throw Failure(description: "distance too far back") }
                    for _ in 0..<length { out.append(out[out.count - distance]) }
                }
            } else {
                throw Failure(description: "unsupported block type \(type)")
            }
        } while final == 0
        return (out, storedOnly)
    }
}

final class PlotTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "lumen-plot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func readPNG(_ path: String) throws -> PNGCheck.Image {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
        return try PNGCheck.read(Array(data))
    }

    // MARK: Checksums and PNG structure

    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(PNG.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNG.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNG.crc32([]), 0)
        XCTAssertEqual(PNG.crc32(Array("56789".utf8), seed: PNG.crc32(Array("1234".utf8))), 0xCBF4_3926)
        XCTAssertEqual(Zlib.adler32(Array("Wikipedia".utf8)), 0x11E6_0398)
        XCTAssertEqual(Zlib.adler32([]), 1)
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        XCTAssertEqual(Zlib.adler32(big), PNGCheck.adler(big))
        XCTAssertEqual(PNG.crc32(big), PNGCheck.crc(big))
    }

    func testStoredBlocksRoundTrip() throws {
        for n in [0, 1, 65535, 65536, 140_000] {
            let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let stored = Deflate.stored(data)
            XCTAssertEqual(stored.count, n + 5 * max(1, (n + 65534) / 65535), "n=\(n)")
            let (back, storedOnly) = try PNGCheck.inflate(stored)
            XCTAssertEqual(back, data, "n=\(n)")
            XCTAssertTrue(storedOnly)
        }
    }

    func testFixedHuffmanRoundTrip() throws {
        var texts: [[UInt8]] = [[], [42], Array("abcabcabcabcabcabc hello hello hello".utf8),
                                [UInt8](repeating: 255, count: 100_000)]
        texts.append((0..<70_000).map { UInt8(truncatingIfNeeded: ($0 * $0) >> 3) })
        texts.append((0..<50_000).map { i in UInt8(truncatingIfNeeded: i % 300 < 150 ? i : i / 7) })
        for data in texts {
            let packed = Deflate.fixedHuffman(data)
            let (back, storedOnly) = try PNGCheck.inflate(packed)
            XCTAssertEqual(back, data)
            XCTAssertFalse(storedOnly)
        }
        // Runs compress a lot.
        XCTAssertLessThan(Deflate.fixedHuffman(texts[3]).count, 1000)
    }

    func testPNGEncodingBothWays() throws {
        var canvas = Canvas(width: 37, height: 23, background: RGB(10, 20, 30))
        canvas.fillPixels(3, 4, 20, 15, RGB(200, 100, 0))
        canvas.line(0, 0, 36, 22, RGB(0, 255, 0), width: 2)
        for compress in [false, true] {
            let bytes = PNG.encode(width: canvas.width, height: canvas.height, rgb: canvas.pixels, compress: compress)
            let image = try PNGCheck.read(bytes)
            XCTAssertEqual(image.width, 37)
            XCTAssertEqual(image.height, 23)
            XCTAssertEqual(image.chunkTypes, ["IHDR", "IDAT", "IEND"])
            XCTAssertEqual(image.storedOnly, !compress)
            XCTAssertEqual(image.rgb, canvas.pixels)
        }
        // Corruption is caught by the CRC.
        var bytes = PNG.encode(width: 4, height: 4, rgb: [UInt8](repeating: 9, count: 48), compress: false)
        bytes[20] ^= 1
        XCTAssertThrowsError(try PNGCheck.read(bytes))
    }

    // MARK: Ticks

    func testNiceSteps() {
        XCTAssertEqual(Ticks.niceStep(0.13), 0.2, accuracy: 1e-15)
        XCTAssertEqual(Ticks.niceStep(3), 5)
        XCTAssertEqual(Ticks.niceStep(7), 10)
        XCTAssertEqual(Ticks.niceStep(1), 1)
        XCTAssertEqual(Ticks.niceStep(2.0000000000000004), 2)
        XCTAssertEqual(Ticks.niceStep(0.0011), 0.002, accuracy: 1e-18)
        XCTAssertEqual(Ticks.niceStep(4500), 5000)
    }

    func testLinearTicks() {
        var t = Ticks.linear(0, 1, maxCount: 5)
        XCTAssertEqual(t.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(t.step, 0.2, accuracy: 1e-15)
        t = Ticks.linear(0.13, 0.87, maxCount: 5)
        XCTAssertEqual(t.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
        t = Ticks.linear(-3.7, 12.2, maxCount: 6)
        XCTAssertEqual(t.ticks, [-5, 0, 5, 10, 15])
        XCTAssertEqual(t.lo, -5)
        XCTAssertEqual(t.hi, 15)
        t = Ticks.linear(0.1, 0.3, maxCount: 2)
        XCTAssertEqual(t.ticks, [0.1, 0.2, 0.3])
        XCTAssertEqual(Ticks.linear(0, 0.3, maxCount: 3).ticks, [0, 0.1, 0.2, 0.3])
        t = Ticks.linear(0.7, 0.9, maxCount: 4)
        XCTAssertEqual(t.ticks, [0.7, 0.75, 0.8, 0.85, 0.9])
        // Degenerate and huge ranges.
        XCTAssertEqual(Ticks.linear(5, 5, maxCount: 4).ticks, [4.5, 5, 5.5])
        XCTAssertEqual(Ticks.linear(0, 0, maxCount: 2).ticks, [-1, 0, 1])
        XCTAssertEqual(Ticks.linear(0, 3e6, maxCount: 3).ticks, [0, 1e6, 2e6, 3e6])
        // Every tick is a multiple of a 1-2-5 step.
        for (lo, hi) in [(-0.013, 0.0271), (1e-9, 3e-9), (123.0, 4567.0), (-1e12, 1e12)] {
            let r = Ticks.linear(lo, hi, maxCount: 6)
            let e = pow(10, floor(log10(r.step)))
            XCTAssertTrue([1.0, 2, 5].contains { abs(r.step / e - $0) < 1e-9 }, "step \(r.step)")
            XCTAssertLessThanOrEqual(r.lo, lo)
            XCTAssertGreaterThanOrEqual(r.hi, hi)
            XCTAssertLessThanOrEqual(r.ticks.count, 8)
        }
    }

    func testInsideTicksKeepTheRange() {
        let t = Ticks.inside(0.05, 2.38, maxCount: 5)
        XCTAssertEqual(t.lo, 0.05)
        XCTAssertEqual(t.hi, 2.38)
        XCTAssertEqual(t.ticks, [0.5, 1, 1.5, 2])
        XCTAssertEqual(Ticks.inside(-4.2, 5.5, maxCount: 5).ticks, [-4, -2, 0, 2, 4])
        XCTAssertEqual(Ticks.inside(1, 60, maxCount: 6).ticks, [10, 20, 30, 40, 50, 60])
        // The finest 1-2-5 step within the limit, not the first one above span / count.
        XCTAssertEqual(Ticks.inside(-21.6, 83.6, maxCount: 5).ticks, [-20, 0, 20, 40, 60, 80])
    }

    func testLogTicks() {
        let t = Ticks.log(0.003, 40)
        XCTAssertEqual(t.major.map(Ticks.logLabel), ["0.01", "0.1", "1", "10"])
        XCTAssertEqual(Ticks.niceCount(0.3), 1)
        XCTAssertEqual(Ticks.niceCount(2.2), 5)
        XCTAssertEqual(Ticks.niceCount(11), 20)
        XCTAssertEqual(t.minor.first ?? 0, 0.003, accuracy: 1e-15)
        XCTAssertEqual(t.minor.last ?? 0, 40, accuracy: 1e-12)
        XCTAssertEqual(t.minor.count, 7 + 3 * 8 + 3)
        // Many decades: every k-th, no minor ticks.
        let wide = Ticks.log(1e-12, 1e3, maxCount: 5)
        XCTAssertEqual(wide.major.map(Ticks.logLabel), ["1e-12", "1e-9", "1e-6", "0.001", "1", "1000"])
        XCTAssertEqual(wide.minor, [])
        // Less than three decades inside: 1-2-5 values.
        XCTAssertEqual(Ticks.log(2.5, 45).major, [5, 10, 20])
        XCTAssertEqual(Ticks.log(0.003, 0.7).major.map(Ticks.logLabel), ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5"])
        XCTAssertEqual(Ticks.log(3, 4).major, [3, 4])
        // Axis labels.
        let axis = AxisScale.logarithmic(0.05, 2.3)
        XCTAssertEqual(axis.labels, ["0.05", "0.1", "0.2", "0.5", "1", "2"])
        XCTAssertLessThan(axis.lo, 0.05)
        XCTAssertGreaterThan(axis.hi, 2.3)
    }

    func testTickLabels() {
        XCTAssertEqual(Ticks.label(0.30000000000000004, step: 0.1), "0.3")
        XCTAssertEqual(Ticks.label(-0.0, step: 0.1), "0.0")
        XCTAssertEqual(Ticks.label(0, step: 5), "0")
        XCTAssertEqual(Ticks.label(-2.5, step: 0.5), "-2.5")
        XCTAssertEqual(Ticks.label(1500, step: 500), "1500")
        XCTAssertEqual(Ticks.label(0.05, step: 0.05), "0.05")
        XCTAssertEqual(Ticks.label(0.0025, step: 0.0005), "0.0025")
        XCTAssertEqual(Ticks.label(2_500_000, step: 500_000), "2.5e6")
        XCTAssertEqual(Ticks.label(3e-7, step: 1e-7), "3e-7")
        XCTAssertEqual(Ticks.label(1e6, step: 1e6), "1e6")
        XCTAssertEqual(Ticks.fixed(-0.004, decimals: 2), "0.00")
        XCTAssertEqual(Ticks.fixed(12.345, decimals: 1), "12.3")
        XCTAssertEqual(Ticks.fixed(0.5, decimals: 3), "0.500")
        XCTAssertEqual(Ticks.logLabel(1e5), "1e5")
        XCTAssertEqual(Ticks.logLabel(1e-4), "1e-4")
    }

    // MARK: Canvas

    func testCanvasPrimitives() {
        var c = Canvas(width: 40, height: 30)
        c.line(5, 10.5, 35, 10.5, .black, width: 1)
        XCTAssertEqual(c.pixel(20, 10), .black)          // on the line
        XCTAssertEqual(c.pixel(20, 12), .white)          // off it
        XCTAssertEqual(c.pixel(20, 9), .white)
        c.fillCircle(20.3, 20, 4, RGB(255, 0, 0))
        XCTAssertEqual(c.pixel(20, 20), RGB(255, 0, 0))
        XCTAssertEqual(c.pixel(20, 27), .white)
        // Anti-aliased edge: a partial pixel is a mix.
        let edge = c.pixel(24, 20)
        XCTAssertTrue(edge.g > 0 && edge.g < 255, "\(edge)")
        // Clipping.
        c.clip = (0, 0, 10, 10)
        c.fillPixels(0, 0, 40, 30, .black)
        XCTAssertEqual(c.pixel(9, 9), .black)
        XCTAssertEqual(c.pixel(10, 5), .white)
    }

    func testTextRendersInsideItsBox() {
        var c = Canvas(width: 80, height: 20)
        c.text("Ag1", 10, 5, scale: 1)
        var ink: [(Int, Int)] = []
        for y in 0..<20 { for x in 0..<80 where c.pixel(x, y) != .white { ink.append((x, y)) } }
        XCTAssertFalse(ink.isEmpty)
        XCTAssertTrue(ink.allSatisfy { $0.0 >= 10 && $0.0 < 10 + Canvas.textWidth("Ag1") && $0.1 >= 5 && $0.1 < 5 + BitmapFont.rowCount })
        XCTAssertEqual(Canvas.textWidth("Ag1", scale: 2), (3 * 6 - 1) * 2)
        XCTAssertEqual(Canvas.fitted("a long title", maxWidth: 40), "a lo..")
        XCTAssertEqual(Canvas.fitted("short", maxWidth: 40), "short")
        // Every printable glyph has ink except space; unknown characters draw '?'.
        for v in 33...126 { XCTAssertTrue(BitmapFont.rows(Unicode.Scalar(UInt8(v))).contains { $0 != 0 }, "\(v)") }
        XCTAssertEqual(BitmapFont.rows("é"), BitmapFont.rows("?"))
    }

    // MARK: Charts

    func testHistogramCounts() throws {
        let (edges, counts) = try Plot.histogramCounts([0, 1, 2, 3, 4, .nan], bins: 4)
        XCTAssertEqual(edges, [0, 1, 2, 3, 4])
        XCTAssertEqual(counts, [1, 1, 1, 2])
        let single = try Plot.histogramCounts([7, 7], bins: 2)
        XCTAssertEqual(single.edges, [6.5, 7, 7.5])
        XCTAssertEqual(single.counts, [0, 2])
    }

    func testEveryChartWritesAValidPNG() throws {
        let xs = (0..<50).map { Double($0) }
        let (w, h) = (400, 300)
        try Plot.line([("a", xs, xs.map { $0 * $0 }), ("b", [], xs.map { 100 * $0 })], title: "t", width: w, height: h,
                      to: path("line.png"))
        try Plot.line([("loss", [], xs.map { exp(-$0 / 10) + 0.01 })], logY: true, width: w, height: h, to: path("log.png"))
        try Plot.scatter(xs: xs, ys: xs.map(sin), classes: xs.map { Int($0) % 3 }, width: w, height: h,
                         to: path("scatter.png"))
        try Plot.histogram(xs.map { sin($0) }, bins: 10, width: w, height: h, to: path("hist.png"))
        try Plot.bar(labels: ["a", "b", "c"], values: [3, -1, 2], width: w, height: h, to: path("bar.png"))
        try Plot.heatmap([[1, 2], [3, 4]], cellLabels: true, width: w, height: h, to: path("heat.png"))
        try Plot.imageGrid([[Float](repeating: 0.5, count: 12), (0..<12).map(Float.init)], imageHeight: 3, imageWidth: 4,
                           titles: ["x", "y"], columns: 2, title: "grid", to: path("grid.png"))
        for name in ["line.png", "log.png", "scatter.png", "hist.png", "bar.png", "heat.png"] {
            let image = try readPNG(path(name))
            // A heatmap shrinks to its matrix's aspect.
            XCTAssertTrue(name == "heat.png" ? image.width <= w : image.width == w, name)
            XCTAssertEqual(image.height, h, name)
            XCTAssertTrue(image.rgb.contains { $0 < 128 }, "\(name) has dark pixels")
        }
        let grid = try readPNG(path("grid.png"))
        XCTAssertGreaterThan(grid.width, 2 * 4)
        // No temporary files are left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }
        XCTAssertEqual(left, [])
    }

    func testRenderedPixelsMatchTheFile() throws {
        let canvas = try Plot.renderBar(labels: ["x", "y"], values: [1, 2], title: "T", xLabel: "", yLabel: "",
                                        width: 300, height: 200)
        try Plot.save(canvas, to: path("b.png"), op: "plot.bar")
        let image = try readPNG(path("b.png"))
        XCTAssertEqual(image.rgb, canvas.pixels)
    }

    func testErrors() throws {
        let p = path("x.png")
        assertEngineError("plot.line", "at least one series") { try Plot.line([], to: p) }
        assertEngineError("plot.line", "has no values") { try Plot.line([("a", [], [])], to: p) }
        assertEngineError("plot.line", "same length; got 2 xs and 3 ys") { try Plot.line([("a", [1, 2], [1, 2, 3])], to: p) }
        assertEngineError("plot.line", "logY needs positive values; series 'a' has 0.0 at index 1") {
            try Plot.line([("a", [], [1, 0])], logY: true, to: p)
        }
        assertEngineError("plot.line", "no finite points") { try Plot.line([("a", [], [.nan])], to: p) }
        assertEngineError("plot.line", "figure size") { try Plot.line([("a", [], [1])], width: 10, to: p) }
        assertEngineError("plot.scatter", "same length") { try Plot.scatter(xs: [1], ys: [], to: p) }
        assertEngineError("plot.scatter", "at least one point") { try Plot.scatter(xs: [], ys: [], to: p) }
        assertEngineError("plot.scatter", "one class per point") { try Plot.scatter(xs: [1], ys: [1], classes: [0, 1], to: p) }
        assertEngineError("plot.histogram", "at least one value") { try Plot.histogram([], to: p) }
        assertEngineError("plot.histogram", "no finite values") { try Plot.histogram([.infinity], to: p) }
        assertEngineError("plot.histogram", "bins") { try Plot.histogram([1], bins: 0, to: p) }
        assertEngineError("plot.bar", "one label per value") { try Plot.bar(labels: ["a"], values: [1, 2], to: p) }
        assertEngineError("plot.bar", "at least one bar") { try Plot.bar(labels: [], values: [], to: p) }
        assertEngineError("plot.bar", "finite") { try Plot.bar(labels: ["a"], values: [.nan], to: p) }
        assertEngineError("plot.heatmap", "non-empty matrix") { try Plot.heatmap([], to: p) }
        assertEngineError("plot.heatmap", "row 1 has 1") { try Plot.heatmap([[1, 2], [3]], to: p) }
        assertEngineError("plot.heatmap", "expected 2 row labels") { try Plot.heatmap([[1], [2]], rowLabels: ["a"], to: p) }
        assertEngineError("plot.image_grid", "at least one image") {
            try Plot.imageGrid([], imageHeight: 2, imageWidth: 2, to: p)
        }
        assertEngineError("plot.image_grid", "image 1 has 3 values; expected 4 (1x2x2)") {
            try Plot.imageGrid([[0, 0, 0, 0], [0, 0, 0]], imageHeight: 2, imageWidth: 2, to: p)
        }
        assertEngineError("plot.image_grid", "channels") {
            try Plot.imageGrid([[0, 0, 0, 0]], imageHeight: 2, imageWidth: 2, channels: 2, to: p)
        }
        assertEngineError("plot.image_grid", "one title per image") {
            try Plot.imageGrid([[0, 0, 0, 0]], imageHeight: 2, imageWidth: 2, titles: [], to: p)
        }
        assertEngineError("plot.line", "too wide a range") { try Plot.line([("a", [], [-1e308, 1e308])], to: p) }
        assertEngineError("plot.histogram", "too wide a range") { try Plot.histogram([-1e308, 1e308], to: p) }
        assertEngineError("plot.heatmap", "too wide a range") { try Plot.heatmap([[-1e308, 1e308]], to: p) }
        // Extreme but plottable values render.
        try Plot.line([("a", [], [1e300, 1.0000001e300])], logY: true, width: 200, height: 150, to: p)
        let tiny = Double.leastNormalMagnitude, least = Double.leastNonzeroMagnitude
        try Plot.line([("a", [tiny / 4, tiny / 2], [least * 10, -least * 2])], width: 200, height: 150, to: p)
        try FileManager.default.removeItem(atPath: p)
        // Unwritable destinations leave nothing behind.
        assertEngineError("plot.bar", "cannot create") {
            try Plot.bar(labels: ["a"], values: [1], to: directory + "/missing-dir/x.png")
        }
        assertEngineError("plot.bar", "empty path") { try Plot.bar(labels: ["a"], values: [1], to: "") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: p))
    }

    /// Awkward inputs either render or throw an EngineError; none may trap.
    func testAwkwardValuesNeverTrap() throws {
        let big = Double.greatestFiniteMagnitude, least = Double.leastNonzeroMagnitude
        let sets: [[Double]] = [[0], [5, 5, 5], [-big / 4, big / 4], [big, -big], [least, 2 * least], [1e-300, 1e300],
                                [.nan, 1, .infinity, -.infinity, 2], [-1e-12, 1e-12], [1, 1 + 1e-15], [-3, 0, 1e-7],
                                [123456789.123, 123456789.124]]
        var rendered = 0
        func attempt(_ body: () throws -> Canvas) {
            do { _ = try body(); rendered += 1 } catch is EngineError {} catch { XCTFail("\(error)") }
        }
        for v in sets {
            let idx = v.indices.map(Double.init)
            attempt { try Plot.renderLine([("a", [], v), ("b", v, idx)], title: "t", xLabel: "x", yLabel: "y", logY: false, width: 200, height: 150) }
            attempt { try Plot.renderLine([("a", [], v)], title: "", xLabel: "", yLabel: "", logY: true, width: 200, height: 150) }
            attempt { try Plot.renderScatter(xs: v, ys: v.reversed(), classes: v.indices.map { $0 % 2 }, classNames: nil,
                                             title: "", xLabel: "", yLabel: "", width: 200, height: 150) }
            attempt { try Plot.renderHistogram(v, bins: 7, title: "", xLabel: "", yLabel: "", width: 200, height: 150) }
            attempt { try Plot.renderBar(labels: v.map { "\($0)" }, values: v, title: "", xLabel: "", yLabel: "", width: 200, height: 150) }
            attempt { try Plot.renderHeatmap([v, v], title: "h", xLabel: "", yLabel: "", rowLabels: nil, columnLabels: nil,
                                             colormap: .viridis, cellLabels: true, width: 200, height: 150) }
            attempt { try Plot.renderImageGrid([v.map { Float($0) }], imageHeight: 1, imageWidth: v.count, channels: 1,
                                               titles: ["\(v)"], columns: 3, title: "", normalize: true) }
        }
        XCTAssertGreaterThan(rendered, sets.count * 4)
    }

    // MARK: Samples

    /// Renders one sample of every chart into $LUMEN_PLOT_DIR (to look at), or into the test's
    /// temporary directory, and checks each file.
    func testRenderSamples() throws {
        let out = ProcessInfo.processInfo.environment["LUMEN_PLOT_DIR"] ?? directory
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func file(_ name: String) -> String { out + "/" + name }
        // Training curves.
        let epochs = (1...60).map(Double.init)
        let train = epochs.map { 2.3 * exp(-$0 / 12) + 0.05 + 0.02 * sin($0) }
        let valid = epochs.map { 2.3 * exp(-$0 / 14) + 0.12 + 0.004 * $0 }
        try Plot.line([("train", epochs, train), ("validation", epochs, valid)], title: "Loss per epoch",
                      xLabel: "epoch", yLabel: "cross-entropy loss", to: file("line.png"))
        try Plot.line([("train", epochs, train), ("validation", epochs, valid)], title: "Loss per epoch (log scale)",
                      xLabel: "epoch", yLabel: "loss", logY: true, to: file("line_log.png"))
        // Three clusters.
        let g = Generator(seed: 7)
        let noise = try Tensor.randn([600], dtype: .float64, generator: g).toDoubles()
        var sx: [Double] = [], sy: [Double] = [], sc: [Int] = []
        for i in 0..<300 {
            let c = i % 3
            let angle = Double(c) * 2.1
            sx.append(3 * cos(angle) + noise[2 * i]); sy.append(3 * sin(angle) + noise[2 * i + 1]); sc.append(c)
        }
        try Plot.scatter(xs: sx, ys: sy, classes: sc, classNames: ["cat", "dog", "bird"], title: "2-D embedding",
                         xLabel: "component 1", yLabel: "component 2", to: file("scatter.png"))
        let normal = try Tensor.randn([5000], dtype: .float64, generator: g).toDoubles().map { 0.5 * $0 + 1 }
        try Plot.histogram(normal, bins: 40, title: "Weight distribution", xLabel: "value", to: file("histogram.png"))
        try Plot.bar(labels: ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"], values: [0.912, 0.954, 0.958, 0.941, 0.903],
                     title: "Test accuracy by optimizer", yLabel: "accuracy", to: file("bar.png"))
        let classes = ["zero", "one", "two", "three", "four", "five"]
        var confusion: [[Double]] = []
        for i in 0..<6 { confusion.append((0..<6).map { j in i == j ? Double(80 + 3 * i) : Double((i * 7 + j * 3) % 9) }) }
        try Plot.heatmap(confusion, title: "Confusion matrix", xLabel: "predicted", yLabel: "actual",
                         rowLabels: classes, columnLabels: classes, cellLabels: true, to: file("heatmap.png"))
        var field: [[Double]] = []
        for i in 0..<40 { field.append((0..<60).map { j in sin(Double(i) / 6) * cos(Double(j) / 9) }) }
        try Plot.heatmap(field, title: "Activation map", colormap: .coolwarm, to: file("heatmap_dense.png"))
        var images: [[Float]] = [], titles: [String] = []
        for k in 0..<10 {
            images.append((0..<(28 * 28)).map { idx in
                let y = Double(idx / 28) - 13.5, x = Double(idx % 28) - 13.5
                let r = (x * x + y * y).squareRoot()
                return Float(max(0, 1 - abs(r - Double(4 + k)) / 2.5))
            })
            titles.append("label \(k)")
        }
        try Plot.imageGrid(images, imageHeight: 28, imageWidth: 28, titles: titles, columns: 5, title: "Samples",
                           to: file("image_grid.png"))
        // Harder cases: many series with a gap, many bars, long column names, RGB images.
        let t = (0..<200).map { Double($0) / 20 }
        var waves: [(name: String, xs: [Double], ys: [Double])] = []
        for k in 0..<4 {
            var ys = t.map { sin($0 + Double(k)) * exp(-$0 / Double(8 + 4 * k)) * 1000 }
            if k == 1 { for i in 80..<100 { ys[i] = .nan } }
            waves.append(("wave \(k) (decay \(8 + 4 * k))", t, ys))
        }
        try Plot.line(waves, title: "Damped waves", xLabel: "time [s]", yLabel: "amplitude", to: file("line_many.png"))
        try Plot.bar(labels: (0..<30).map { "feature_\($0)" }, values: (0..<30).map { sin(Double($0)) * 3 },
                     title: "Feature weights", yLabel: "weight", to: file("bar_many.png"))
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        var confusion10: [[Double]] = []
        for i in 0..<10 { confusion10.append((0..<10).map { j in i == j ? 0.8 : Double((i + 2 * j) % 7) / 70 }) }
        try Plot.heatmap(confusion10, title: "CIFAR-10 confusion (normalized)", xLabel: "predicted", yLabel: "true",
                         rowLabels: names, columnLabels: names, cellLabels: true, to: file("heatmap_names.png"))
        var rgb: [[Float]] = []
        for k in 0..<6 {
            rgb.append((0..<(3 * 16 * 16)).map { idx in
                let c = idx / 256, y = (idx % 256) / 16, x = idx % 16
                return Float(c == k % 3 ? Double(x + y) / 30 : Double(k) / 6 * Double(y) / 15)
            })
        }
        try Plot.imageGrid(rgb, imageHeight: 16, imageWidth: 16, channels: 3, columns: 3, to: file("image_grid_rgb.png"))
        try Plot.scatter(xs: t, ys: t.map { $0 * $0 - 20 }, title: "No classes", to: file("scatter_plain.png"))
        for name in ["line.png", "line_log.png", "scatter.png", "histogram.png", "bar.png", "heatmap.png",
                     "heatmap_dense.png", "image_grid.png", "line_many.png", "bar_many.png", "heatmap_names.png",
                     "image_grid_rgb.png", "scatter_plain.png"] {
            _ = try readPNG(file(name))
        }
    }
}
