import Foundation
import XCTest
@testable import Engine

final class DataGenTests: XCTestCase {
    // MARK: helpers

    func waferOptions(_ n: Int, seed: UInt64, size: Int = 32) -> WaferMapOptions {
        var o = WaferMapOptions()
        o.count = n; o.size = size; o.seed = seed
        return o
    }

    func counts(_ labels: [Int64], _ k: Int) -> [Int] {
        var c = [Int](repeating: 0, count: k)
        for l in labels { c[Int(l)] += 1 }
        return c
    }

    func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        return sab / (saa * sbb).squareRoot()
    }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lumen-datagen-\(getpid())-\(name)").path
    }

    // MARK: wafer maps

    func testWaferMapsAreDeterministicBySeed() throws {
        let a = try WaferMaps.generate(waferOptions(60, seed: 7))
        let b = try WaferMaps.generate(waferOptions(60, seed: 7))
        let c = try WaferMaps.generate(waferOptions(60, seed: 8))
        XCTAssertEqual(try a.maps.toFloats(), try b.maps.toFloats())
        XCTAssertEqual(try a.labels.toInts(), try b.labels.toInts())
        XCTAssertEqual(a.boxes, b.boxes)
        XCTAssertNotEqual(try a.maps.toFloats(), try c.maps.toFloats())
        XCTAssertNotEqual(try a.labels.toInts(), try c.labels.toInts())
    }

    func testWaferMapShapesValuesAndCodes() throws {
        let set = try WaferMaps.generate(waferOptions(27, seed: 1, size: 40))
        XCTAssertEqual(set.maps.shape, [27, 1, 40, 40])
        XCTAssertEqual(set.maps.dtype, .float32)
        XCTAssertEqual(set.labels.shape, [27])
        XCTAssertEqual(set.classNames, ["Center", "Donut", "Edge-Loc", "Edge-Ring", "Loc", "Near-full", "Random", "Scratch", "none"])
        let values = try set.maps.toFloats()
        XCTAssertTrue(values.allSatisfy { $0 == 0 || $0 == 0.5 || $0 == 1 })
        // Grid corners are off the round wafer; the centre die is on it.
        for i in 0..<27 {
            XCTAssertEqual(values[i * 1600], 0)
            XCTAssertNotEqual(values[i * 1600 + 20 * 40 + 20], 0)
        }
        var o = waferOptions(27, seed: 1, size: 40)
        o.asCodes = true
        let codes = try WaferMaps.generate(o)
        XCTAssertEqual(codes.maps.dtype, .int64)
        XCTAssertEqual(try codes.maps.toInts(), values.map { Int64(($0 * 2).rounded()) })
    }

    func testWaferClassesBalancedByDefault() throws {
        let set = try WaferMaps.generate(waferOptions(90, seed: 3))
        XCTAssertEqual(counts(try set.labels.toInts(), 9), [Int](repeating: 10, count: 9))
        XCTAssertEqual(try set.multiHot.toFloats().reduce(0, +), 90)
    }

    func testWaferImbalanceHonoursProportions() throws {
        var o = waferOptions(1000, seed: 4, size: 26)
        o.weights = WaferPattern.allCases.map(\.realisticWeight)
        let set = try WaferMaps.generate(o)
        let c = counts(try set.labels.toInts(), 9)
        XCTAssertEqual(c, exactCounts(total: 1000, proportions: o.weights!))
        XCTAssertGreaterThanOrEqual(c[WaferPattern.none.rawValue], 500)
        XCTAssertLessThan(c[WaferPattern.nearFull.rawValue], 20)
        XCTAssertLessThan(c[WaferPattern.donut.rawValue], 30)
    }

    func testWaferBoxesLieOnFailDiesOfTheirPattern() throws {
        for size in [26, 32, 64] {
            let set = try WaferMaps.generate(waferOptions(180, seed: 5, size: size))
            let maps = try set.maps.toFloats(), labels = try set.labels.toInts()
            for i in 0..<180 {
                let kind = WaferPattern(rawValue: Int(labels[i]))!
                if kind == .none || kind == .random { XCTAssertTrue(set.boxes[i].isEmpty, "\(kind) map \(i) has boxes") }
                else { XCTAssertFalse(set.boxes[i].isEmpty, "\(kind) map \(i) has no box") }
                for box in set.boxes[i] {
                    XCTAssertEqual(box.label, Int(labels[i]))
                    XCTAssertTrue(0 <= box.x1 && box.x1 <= box.x2 && box.x2 < size && 0 <= box.y1 && box.y1 <= box.y2 && box.y2 < size)
                    var fails = 0
                    for y in box.y1...box.y2 { for x in box.x1...box.x2 where maps[i * size * size + y * size + x] == 1 { fails += 1 } }
                    XCTAssertGreaterThan(fails, 0, "box \(box) of map \(i) (\(kind)) holds no fail die")
                    // The box is tight: its border rows and columns hold fail dies.
                    let rowHasFail = { (y: Int) in (box.x1...box.x2).contains { maps[i * size * size + y * size + $0] == 1 } }
                    let colHasFail = { (x: Int) in (box.y1...box.y2).contains { maps[i * size * size + $0 * size + x] == 1 } }
                    XCTAssertTrue(rowHasFail(box.y1) && rowHasFail(box.y2) && colHasFail(box.x1) && colHasFail(box.x2))
                }
            }
        }
    }

    func testWaferPatternsLookLikeTheirClass() throws {
        // Coarse statistics that separate the classes: fail fraction and where fails sit.
        let set = try WaferMaps.generate(waferOptions(900, seed: 6))
        let maps = try set.maps.toFloats(), labels = try set.labels.toInts()
        var failRate = [Double](repeating: 0, count: 9), edgeShare = [Double](repeating: 0, count: 9)
        var centerShare = [Double](repeating: 0, count: 9)
        for i in 0..<900 {
            var on = 0.0, fail = 0.0, edge = 0.0, center = 0.0
            for y in 0..<32 {
                for x in 0..<32 {
                    let v = maps[i * 1024 + y * 32 + x]
                    guard v > 0 else { continue }
                    on += 1
                    guard v == 1 else { continue }
                    fail += 1
                    let r = ((Double(x) - 15.5) * (Double(x) - 15.5) + (Double(y) - 15.5) * (Double(y) - 15.5)).squareRoot() / 16
                    if r > 0.8 { edge += 1 }
                    if r < 0.35 { center += 1 }
                }
            }
            let k = Int(labels[i])
            failRate[k] += fail / on / 100
            edgeShare[k] += edge / max(fail, 1) / 100
            centerShare[k] += center / max(fail, 1) / 100
        }
        let c = WaferPattern.self
        XCTAssertGreaterThan(failRate[c.nearFull.rawValue], 0.5)
        XCTAssertGreaterThan(failRate[c.random.rawValue], 2 * failRate[c.none.rawValue])
        XCTAssertLessThan(failRate[c.none.rawValue], 0.06)
        XCTAssertGreaterThan(edgeShare[c.edgeRing.rawValue], 0.6)
        XCTAssertGreaterThan(edgeShare[c.edgeLoc.rawValue], 0.5)
        XCTAssertGreaterThan(centerShare[c.center.rawValue], 0.6)
        XCTAssertLessThan(centerShare[c.donut.rawValue], 0.25)
    }

    func testWaferShiftRaisesBackgroundAndMixedGivesMultiHot() throws {
        var o = waferOptions(200, seed: 9)
        o.classes = [.none]
        let plain = try WaferMaps.generate(o)
        o.shift = 1
        let shifted = try WaferMaps.generate(o)
        func failFraction(_ t: Tensor) throws -> Double {
            let v = try t.toFloats()
            return Double(v.filter { $0 == 1 }.count) / Double(v.filter { $0 > 0 }.count)
        }
        XCTAssertGreaterThan(try failFraction(shifted.maps), try 1.8 * failFraction(plain.maps))

        var m = waferOptions(300, seed: 2)
        m.mixed = 1
        let mixed = try WaferMaps.generate(m)
        let hot = try mixed.multiHot.toFloats()
        var doubles = 0
        for i in 0..<300 {
            let row = Array(hot[(i * 9)..<(i * 9 + 9)])
            let kind = WaferPattern(rawValue: Int(try mixed.labels.toInts()[i]))!
            XCTAssertEqual(row.reduce(0, +), Float(mixed.patterns[i].count))
            if kind.isMixable { XCTAssertEqual(mixed.patterns[i].count, 2) ; doubles += 1 }
            if mixed.patterns[i].count == 2 {
                XCTAssertTrue(WaferMaps.compatible(WaferPattern(rawValue: mixed.patterns[i][0])!, WaferPattern(rawValue: mixed.patterns[i][1])!))
                XCTAssertEqual(Set(mixed.boxes[i].map(\.label)), Set(mixed.patterns[i]))
            }
        }
        XCTAssertGreaterThan(doubles, 150)
    }

    func testWaferOptionErrors() {
        assertEngineError("wafer_maps", "size must be in 16...256") { _ = try WaferMaps.generate(self.waferOptions(2, seed: 0, size: 8)) }
        assertEngineError("wafer_maps", "n must be") { _ = try WaferMaps.generate(self.waferOptions(0, seed: 0)) }
        var o = waferOptions(4, seed: 0)
        o.weights = [1, 2]
        assertEngineError("wafer_maps", "one weight per class") { _ = try WaferMaps.generate(o) }
        o.weights = nil
        o.classes = [.center, .center]
        assertEngineError("wafer_maps", "must not repeat") { _ = try WaferMaps.generate(o) }
    }

    // MARK: parametric

    func testParametricDeterminismShapesAndBins() throws {
        var o = ParametricOptions()
        o.count = 4000; o.seed = 11
        let a = try Parametric.generate(o), b = try Parametric.generate(o)
        o.seed = 12
        let c = try Parametric.generate(o)
        XCTAssertEqual(a.values.shape, [4000, 8])
        XCTAssertEqual(try a.values.toFloats(), try b.values.toFloats())
        XCTAssertEqual(a.softBin, b.softBin)
        XCTAssertNotEqual(try a.values.toFloats(), try c.values.toFloats())
        for i in 0..<4000 {
            XCTAssertEqual(a.pass[i], a.softBin[i] == 0)
            XCTAssertEqual(a.hardBin[i], Parametric.hardOfSoft[a.softBin[i]])
        }
        let yield = Double(a.pass.filter { $0 }.count) / 4000
        XCTAssertTrue((0.75...0.97).contains(yield), "yield \(yield)")
        // Every pass lies inside every limit.
        let v = try a.values.toDoubles()
        for i in 0..<4000 where a.pass[i] {
            for j in 0..<8 { XCTAssertTrue(v[i * 8 + j] >= Parametric.limits[j].low && v[i * 8 + j] <= Parametric.limits[j].high) }
        }
        XCTAssertEqual(Set(a.corner).count, 5)
        let outliers = a.outlier.filter { $0 }.count
        XCTAssertTrue((40...130).contains(outliers), "outliers \(outliers)")
    }

    func testParametricCorrelationsFollowTheProcessModel() throws {
        var o = ParametricOptions()
        o.count = 5000; o.seed = 2; o.outlierRate = 0
        let set = try Parametric.generate(o)
        let v = try set.values.toDoubles()
        func column(_ j: Int) -> [Double] { (0..<5000).map { v[$0 * 8 + j] } }
        let vth = column(0), idsat = column(1), ioff = column(2).map { log($0) }, fmax = column(4), iddq = column(5)
        XCTAssertLessThan(correlation(vth, idsat), -0.8)
        XCTAssertLessThan(correlation(vth, ioff), -0.7)
        XCTAssertLessThan(correlation(vth, fmax), -0.6)
        XCTAssertGreaterThan(correlation(ioff, iddq.map { log($0) }), 0.8)
        // FF parts are faster than SS parts.
        let ff = (0..<5000).filter { set.corner[$0] == 1 }.map { fmax[$0] }, ss = (0..<5000).filter { set.corner[$0] == 2 }.map { fmax[$0] }
        XCTAssertGreaterThan(ff.reduce(0, +) / Double(ff.count), ss.reduce(0, +) / Double(ss.count) + 150)
    }

    func testParametricFabsAreNonIID() throws {
        var o = ParametricOptions()
        o.count = 3000; o.seed = 5; o.sites = 4
        let set = try Parametric.generate(o)
        XCTAssertEqual((1...4).map { s in set.site.filter { $0 == s }.count }, [750, 750, 750, 750])
        var yields: [Double] = [], corners: [[Int]] = []
        for fab in 1...4 {
            var f = ParametricOptions()
            f.count = 3000; f.seed = 5; f.fab = fab
            let one = try Parametric.generate(f)
            yields.append(Double(one.pass.filter { $0 }.count) / 3000)
            corners.append((0..<5).map { c in one.corner.filter { $0 == c }.count })
        }
        XCTAssertGreaterThan(yields.max()! - yields.min()!, 0.05, "\(yields)")
        XCTAssertNotEqual(corners[0], corners[1])
        assertEngineError("parametric", "sites must be") { var b = ParametricOptions(); b.sites = 0; _ = try Parametric.generate(b) }
    }

    // MARK: series

    func testTestTimesHaveSeasonalityTrendAndIds() throws {
        var o = TestTimeOptions()
        o.lots = 3000; o.weeks = 40; o.seed = 3
        let a = try TestTimes.generate(o), b = try TestTimes.generate(o)
        XCTAssertEqual(a.hours, b.hours)
        XCTAssertEqual(a.hours.count, 3000)
        XCTAssertEqual(a.daily.count, 280)
        XCTAssertEqual(a.weekly.count, 40)
        XCTAssertEqual(a.day, a.day.sorted())
        XCTAssertTrue(a.product.allSatisfy { (0..<4).contains($0) })
        XCTAssertTrue(a.tester.allSatisfy { (0..<6).contains($0) })
        XCTAssertTrue(a.hours.allSatisfy { $0 > 0 })
        // Weekend lots take longer per unit of work than midweek lots.
        func ratio(_ days: Set<Int>) -> Double {
            let idx = a.hours.indices.filter { days.contains(a.weekday[$0]) }
            return idx.map { a.hours[$0] / (Double(a.units[$0]) * a.perUnit[$0]) }.reduce(0, +) / Double(idx.count)
        }
        XCTAssertGreaterThan(ratio([5, 6]), 1.05 * ratio([1, 2, 3]))
        o.seed = 4
        XCTAssertNotEqual(try TestTimes.generate(o).hours, a.hours)
    }

    func testSensorTracesShapesAndAnomalyLabels() throws {
        var o = SensorTraceOptions()
        o.count = 200; o.length = 96; o.channels = 8; o.seed = 1; o.anomalyRate = 0.25
        let a = try SensorTraces.generate(o), b = try SensorTraces.generate(o)
        XCTAssertEqual(a.traces.shape, [200, 96, 8])
        XCTAssertEqual(try a.traces.toFloats(), try b.traces.toFloats())
        XCTAssertEqual(a.kind.filter { $0 != 0 }.count, 50)
        let steps = try a.stepLabels.toInts()
        for i in 0..<200 {
            let flagged = steps[(i * 96)..<(i * 96 + 96)].filter { $0 != 0 }.count
            if a.kind[i] == 0 { XCTAssertEqual(flagged, 0); XCTAssertEqual(a.channel[i], -1) }
            else { XCTAssertGreaterThan(flagged, 0); XCTAssertTrue((0..<8).contains(a.channel[i])) }
        }
        XCTAssertTrue(try a.traces.toFloats().allSatisfy { $0.isFinite })
        o.seed = 2
        XCTAssertNotEqual(try SensorTraces.generate(o).traces.toFloats(), try a.traces.toFloats())
    }

    // MARK: text

    func testFailureLogsLabelsEntitiesAndSplits() throws {
        var o = TextCorpusOptions()
        o.count = 400; o.seed = 1
        let a = try FailureLogs.generate(o), b = try FailureLogs.generate(o)
        XCTAssertEqual(a.texts, b.texts)
        XCTAssertEqual(a.texts.count, 400)
        for i in 0..<400 {
            XCTAssertEqual(a.equipment[i], FailureLogs.causes[a.rootCause[i]].equipment)
            XCTAssertTrue(FailureLogs.causes[a.rootCause[i]].categories.map(\.0).contains(a.category[i]))
            let bytes = Array(a.texts[i].utf8)
            XCTAssertTrue(a.entities[i].contains { $0.type == "EQUIP" } && a.entities[i].contains { $0.type == "TEST" })
            for span in a.entities[i] {
                let text = String(decoding: bytes[span.start...span.end], as: UTF8.self)
                switch span.type {
                case "TEST": XCTAssertTrue(Vocabulary.tests.contains(text), text)
                case "EQUIP": XCTAssertTrue(FailureLogs.equipmentPrefixes[a.equipment[i]].contains { text.hasPrefix($0) }, text)
                default: XCTAssertEqual(span.type, "LOT")
                }
            }
        }
        let held = a.heldOut.filter { $0 }.count
        XCTAssertTrue((40...130).contains(held), "\(held) held out")
        o.split = .train
        let train = try FailureLogs.generate(o)
        o.split = .test
        let test = try FailureLogs.generate(o)
        XCTAssertFalse(train.heldOut.contains(true))
        XCTAssertFalse(test.heldOut.contains(false))
        XCTAssertFalse(train.texts.contains { $0.hasPrefix("Shift summary") })
        XCTAssertTrue(test.texts.allSatisfy { $0.hasPrefix("Shift summary") || $0.contains("| msg=") })
    }

    func testOtherCorporaAreConsistent() throws {
        var o = TextCorpusOptions()
        o.count = 300; o.seed = 4
        let alarms = try AlarmMessages.generate(o)
        XCTAssertEqual(alarms.texts, try AlarmMessages.generate(o).texts)
        for i in 0..<300 {
            XCTAssertTrue(alarms.texts[i].contains(AlarmMessages.kinds[alarms.type[i]].name) || alarms.texts[i].contains(AlarmMessages.kinds[alarms.type[i]].name.lowercased().replacingOccurrences(of: "_", with: " ")))
            XCTAssertEqual(alarms.actions[i].hasPrefix("stop the lot"), alarms.severity[i] == 2)
        }
        let programs = try TestPrograms.generate(o)
        for text in programs.texts {
            XCTAssertTrue(text.hasPrefix("program ") && text.hasSuffix("end\n"))
            // Every test the flow runs is defined, braces balance.
            let defined = Set(text.split(separator: "\n").filter { $0.hasPrefix("test T") }.map { $0.split(separator: " ")[1] })
            let run = text.split(separator: "\n").filter { $0.hasPrefix("  run T") }.map { $0.split(separator: " ")[1] }
            XCTAssertEqual(Set(run), defined)
            XCTAssertEqual(text.filter { $0 == "{" }.count, text.filter { $0 == "}" }.count)
        }
        let pairs = try Instructions.generate(o)
        for i in 0..<300 {
            XCTAssertEqual(pairs.unsafe[i], pairs.task[i] == 8)
            if pairs.unsafe[i] { XCTAssertTrue(pairs.responses[i].hasPrefix("I can't help")) }
            XCTAssertNotEqual(pairs.responses[i], pairs.rejected[i])
        }
        XCTAssertTrue(pairs.unsafe.contains(true))
        let tessic = try ParallelCorpus.generate(o, target: .tessic), legacy = try ParallelCorpus.generate(o, target: .legacy)
        XCTAssertEqual(tessic.source, legacy.source)
        XCTAssertTrue(tessic.target.allSatisfy { $0.hasSuffix("mezu") || $0.hasSuffix("kontra") || $0.hasSuffix("aplik")
                || $0.hasSuffix("rampa") || $0.hasSuffix("raport") || $0.hasSuffix("lega") })
        o.split = .train
        let train = try ParallelCorpus.generate(o, target: .tessic)
        XCTAssertFalse(train.source.contains { $0.contains("DQ24") || $0.contains("VDD_PLL") || $0.contains(" 150 degrees") })
    }

    // MARK: die images

    func testDieImagesShapesBoxesAndDeterminism() throws {
        var o = DieImageOptions()
        o.count = 40; o.size = 48; o.seed = 3
        let a = try DieImages.generate(o), b = try DieImages.generate(o)
        XCTAssertEqual(a.images.shape, [40, 1, 48, 48])
        XCTAssertEqual(try a.images.toFloats(), try b.images.toFloats())
        XCTAssertEqual(a.boxes, b.boxes)
        XCTAssertTrue(try a.images.toFloats().allSatisfy { $0 >= 0 && $0 <= 1 })
        var labels = Set<Int>()
        for list in a.boxes {
            XCTAssertTrue((1...4).contains(list.count))
            for box in list {
                XCTAssertTrue(0 <= box.x1 && box.x1 <= box.x2 && box.x2 < 48 && 0 <= box.y1 && box.y1 <= box.y2 && box.y2 < 48)
                labels.insert(box.label)
            }
            for (i, p) in list.enumerated() { for q in list[(i + 1)...] { XCTAssertLessThanOrEqual(p.iou(q), 0.05) } }
        }
        XCTAssertEqual(labels, [0, 1, 2, 3])
        o.seed = 4
        XCTAssertNotEqual(try DieImages.generate(o).images.toFloats(), try a.images.toFloats())
    }

    // MARK: STDF

    func sampleSpec(bigEndian: Bool = false) -> STDFWriteSpec {
        var s = STDFWriteSpec()
        s.lotID = "K3F921"
        s.tests = [STDFTest(number: 1000, name: "Vth", units: "V", low: 0.4, high: 0.5),
                   STDFTest(number: 1010, name: "Iddq", units: "uA", low: nil, high: 200),
                   STDFTest(number: 2000, name: "Fmax", units: "MHz", low: 2100, high: nil)]
        s.results = [0.45, 120, 2500,  0.52, 90, 2300,  0.43, .nan, 1900,  0.41, 250, 2600]
        s.hardBin = [1, 4, 5, 3]
        s.softBin = [1, 5, 8, 3]
        s.x = [3, 4, -2, 10]; s.y = [7, 7, 8, -1]
        s.site = [1, 2, 1, 2]
        s.partIDs = ["p1", "p2", "p3", "p4"]
        s.testTime = [120, 130, 90, 140]
        s.wafer = [0, 0, 1, 1]; s.waferIDs = ["W01", "W02"]
        s.hardBinNames = [1: "PASS", 3: "LEAKAGE"]
        s.bigEndian = bigEndian
        return s
    }

    func testSTDFRoundTrip() throws {
        for bigEndian in [false, true] {
            let path = temporaryPath("rt\(bigEndian).stdf")
            defer { unlink(path) }
            let spec = sampleSpec(bigEndian: bigEndian)
            try STDFWriter.write(spec, to: path)
            let file = try STDFReader.read(path: path)
            XCTAssertEqual(file.cpuType, bigEndian ? 1 : 2)
            XCTAssertEqual(file.mir["lot_id"], "K3F921")
            XCTAssertEqual(file.tests.map(\.number), [1000, 1010, 2000])
            XCTAssertEqual(file.tests.map(\.name), ["Vth", "Iddq", "Fmax"])
            XCTAssertEqual(file.tests.map(\.units), ["V", "uA", "MHz"])
            XCTAssertEqual(file.tests[0].low.map { Float($0) }, Float(0.4))
            XCTAssertNil(file.tests[1].low)
            XCTAssertNil(file.tests[2].high)
            XCTAssertEqual(file.parts.count, 4)
            for (p, part) in file.parts.enumerated() {
                for j in 0..<3 {
                    let v = spec.results[p * 3 + j]
                    if v.isNaN { XCTAssertNil(part.results[j]) } else { XCTAssertEqual(part.results[j].map { Float($0) }, Float(v)) }
                }
                XCTAssertEqual(part.hardBin, spec.hardBin[p])
                XCTAssertEqual(part.softBin, spec.softBin[p])
                XCTAssertEqual(part.pass, spec.hardBin[p] == 1)
                XCTAssertEqual(part.x, spec.x![p]); XCTAssertEqual(part.y, spec.y![p])
                XCTAssertEqual(part.site, spec.site![p])
                XCTAssertEqual(part.partID, spec.partIDs![p])
                XCTAssertEqual(part.testTime, spec.testTime![p])
                XCTAssertEqual(part.wafer, spec.wafer![p])
            }
            XCTAssertEqual(file.parts[1].failedTests, [0])
            XCTAssertEqual(file.parts[2].failedTests, [2])
            XCTAssertEqual(file.parts[3].failedTests, [1])
            XCTAssertEqual(file.waferIDs, ["W01", "W02"])
            XCTAssertEqual(file.hardBins.map(\.number), [1, 3, 4, 5])
            XCTAssertEqual(file.hardBins.first?.name, "PASS")
            XCTAssertEqual(file.hardBins.map(\.count).reduce(0, +), 4)
            XCTAssertEqual(file.recordCounts["PTR"], 11)
            XCTAssertEqual(file.skipped, 1)  // the PCR
        }
    }

    func testSTDFSkipsUnknownRecordsByLength() throws {
        var bytes = try STDFWriter.encode(sampleSpec())
        // Insert a DTR (50,30) and a record of an unknown type after the MIR.
        let far = 6
        let mirLength = Int(bytes[far]) | Int(bytes[far + 1]) << 8
        let at = far + 4 + mirLength
        let dtr: [UInt8] = [6, 0, 50, 30, 5] + Array("hello".utf8)
        let odd: [UInt8] = [3, 0, 180, 7, 1, 2, 3]
        bytes.insert(contentsOf: dtr + odd, at: at)
        let file = try STDFReader.parse(bytes)
        XCTAssertEqual(file.skipped, 3)  // DTR, the unknown record and the PCR
        XCTAssertEqual(file.recordCounts["unknown"], 1)
        XCTAssertEqual(file.parts.count, 4)
    }

    func testSTDFMalformedFilesGiveClearErrors() throws {
        let good = try STDFWriter.encode(sampleSpec())
        assertEngineError("read_stdf", "not an STDF file: 3 bytes") { _ = try STDFReader.parse([2, 0, 0]) }
        assertEngineError("read_stdf", "offset 0: expected a FAR record (type 0, subtype 10) first; got type 1 subtype 10") {
            _ = try STDFReader.parse(Array(good[6...]))
        }
        var cpu = good
        cpu[4] = 0
        assertEngineError("read_stdf", "offset 4: FAR record (0,10): unsupported CPU_TYP 0") { _ = try STDFReader.parse(cpu) }
        var version = good
        version[5] = 3
        assertEngineError("read_stdf", "STDF_VER is 3") { _ = try STDFReader.parse(version) }
        // Cut inside the last record (MRR, 5 data bytes at the end).
        let cut = Array(good.prefix(good.count - 2))
        assertEngineError("read_stdf", "offset \(good.count - 9): truncated MRR record (1,20): REC_LEN is 5 bytes but only 3 remain") {
            _ = try STDFReader.parse(cut)
        }
        assertEngineError("read_stdf", "truncated record header: 2 of 4 bytes") { _ = try STDFReader.parse(good + [1, 0]) }
        // A PTR whose REC_LEN is too short for its RESULT field.
        let shortPTR: [UInt8] = [7, 0, 15, 10, 1, 0, 0, 0, 1, 1, 0]
        let at = good.count - 9
        var bad = good
        bad.insert(contentsOf: shortPTR, at: at)
        assertEngineError("read_stdf", "offset \(at): PTR record (15,10): too short for field PARM_FLG") { _ = try STDFReader.parse(bad) }
        assertEngineError("read_stdf", "cannot open") { _ = try STDFReader.read(path: "/nonexistent/lot.stdf") }
    }

    func testSTDFWriterValidatesItsInput() {
        var s = sampleSpec()
        s.hardBin = [1, 2]
        assertEngineError("write_stdf", "hard_bin has 2 entries for 4 parts") { _ = try STDFWriter.encode(s) }
        s = sampleSpec()
        s.lotID = String(repeating: "x", count: 300)
        assertEngineError("write_stdf", "lot_id is 300 bytes long") { _ = try STDFWriter.encode(s) }
        s = sampleSpec()
        s.tests[1].number = 1000
        assertEngineError("write_stdf", "test number 1000 appears twice") { _ = try STDFWriter.encode(s) }
    }
}
