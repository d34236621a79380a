/// What `STDFWriter` writes: lot information, the tests, and per part its results, bins and
/// position. Parts are written in order; consecutive parts with the same wafer share a WIR/WRR.
public struct STDFWriteSpec: Sendable {
    public var lotID = "LOT0001"
    public var partType = "LUMEN-DEV"
    public var nodeName = "lumen"
    public var testerType = "LUMEN-ATE"
    public var jobName = "lumen_job"
    public var jobRev = "1.0"
    public var operatorName = ""
    public var temperature = "25"
    /// Seconds since 1970 (U4).
    public var startTime = 1_700_000_000
    public var tests: [STDFTest] = []
    /// Row-major parts × tests; NaN means "not executed" (no PTR written).
    public var results: [Double] = []
    public var hardBin: [Int] = []
    public var softBin: [Int] = []
    /// Per part; nil means "passes when the hard bin is 1".
    public var pass: [Bool]? = nil
    public var x: [Int]? = nil
    public var y: [Int]? = nil
    public var site: [Int]? = nil
    public var partIDs: [String]? = nil
    /// Milliseconds per part.
    public var testTime: [Int]? = nil
    /// 0-based wafer index per part into `waferIDs` (-1: no wafer).
    public var wafer: [Int]? = nil
    public var waferIDs: [String] = []
    public var hardBinNames: [Int: String] = [:]
    public var softBinNames: [Int: String] = [:]
    /// Write CPU_TYP 1 (big-endian) instead of 2 (little-endian).
    public var bigEndian = false

    public init() {}
}

/// Writes STDF V4: FAR, MIR, then per part PIR, one PTR per executed test (the first PTR of a
/// test carries its name, limits and units; later ones stop after RESULT, as the spec allows)
/// and PRR, wafers wrapped in WIR/WRR, and the summary PCR, HBR, SBR and MRR. The file is
/// written atomically.
public enum STDFWriter {
    static let op = "write_stdf"

    /// Checks the spec's per-part arrays and returns the number of parts.
    static func validate(_ s: STDFWriteSpec) throws -> Int {
        let k = s.tests.count
        guard k > 0 else { throw EngineError(op, "at least one test is needed") }
        guard s.results.count % k == 0 else {
            throw EngineError(op, "results hold \(s.results.count) values, not a multiple of the \(k) tests")
        }
        let n = s.results.count / k
        func check<T>(_ name: String, _ a: [T]?) throws {
            if let a, a.count != n { throw EngineError(op, "\(name) has \(a.count) entries for \(n) parts") }
        }
        try check("hard_bin", s.hardBin); try check("soft_bin", s.softBin.isEmpty ? nil : s.softBin)
        try check("pass", s.pass); try check("x", s.x); try check("y", s.y); try check("site", s.site)
        try check("part_id", s.partIDs); try check("test_time", s.testTime); try check("wafer", s.wafer)
        var numbers = Set<Int>()
        for t in s.tests {
            guard (0...Int(UInt32.max)).contains(t.number) else { throw EngineError(op, "test number \(t.number) does not fit U4") }
            guard numbers.insert(t.number).inserted else { throw EngineError(op, "test number \(t.number) appears twice") }
        }
        for (name, list) in [("hard_bin", s.hardBin), ("soft_bin", s.softBin)] {
            if let bad = list.first(where: { !(0...65_535).contains($0) }) { throw EngineError(op, "\(name) \(bad) does not fit U2") }
        }
        for (name, list) in [("x", s.x ?? []), ("y", s.y ?? [])] {
            if let bad = list.first(where: { !(-32_767...32_767).contains($0) }) { throw EngineError(op, "\(name) \(bad) does not fit I2") }
        }
        if let bad = (s.site ?? []).first(where: { !(0...255).contains($0) }) { throw EngineError(op, "site \(bad) does not fit U1") }
        if let bad = (s.wafer ?? []).first(where: { $0 >= s.waferIDs.count }) {
            throw EngineError(op, "wafer index \(bad + 1) but only \(s.waferIDs.count) wafer ids")
        }
        return n
    }

    /// The file's bytes.
    public static func encode(_ s: STDFWriteSpec) throws -> [UInt8] {
        let n = try validate(s), k = s.tests.count
        let be = s.bigEndian
        func record(_ type: Int, _ sub: Int, _ body: (inout STDFBytes) throws -> Void) throws -> [UInt8] {
            try STDFBytes.record(type: type, subtype: sub, bigEndian: be, op: op, body)
        }
        var out: [UInt8] = []
        out += try record(0, 10) { $0.u1(be ? 1 : 2); $0.u1(4) }
        out += try record(1, 10) { r in
            r.u4(s.startTime); r.u4(s.startTime); r.u1(1)
            r.c1("P"); r.c1(" "); r.c1(" "); r.u2(65_535); r.c1(" ")
            for (field, value) in [("lot_id", s.lotID), ("part_type", s.partType), ("node_name", s.nodeName),
                                   ("tester_type", s.testerType), ("job_name", s.jobName), ("job_rev", s.jobRev),
                                   ("sublot_id", ""), ("operator", s.operatorName), ("exec_type", "lumen"),
                                   ("exec_ver", "1"), ("test_code", ""), ("temperature", s.temperature)] {
                try r.cn(value, field)
            }
        }
        var described = [Bool](repeating: false, count: k)
        var currentWafer = -1
        var waferParts = 0, waferGood = 0
        func closeWafer() throws {
            guard currentWafer >= 0 else { return }
            out += try record(2, 20) { r in
                r.u1(1); r.u1(255); r.u4(s.startTime + 3600); r.u4(waferParts); r.u4(0); r.u4(0); r.u4(waferGood); r.u4(0)
                try r.cn(s.waferIDs[currentWafer], "wafer id")
            }
        }
        var hardCounts: [Int: (count: Int, pass: Bool)] = [:], softCounts: [Int: (count: Int, pass: Bool)] = [:]
        var good = 0
        for p in 0..<n {
            let wafer = s.wafer?[p] ?? -1
            if wafer != currentWafer {
                try closeWafer()
                currentWafer = wafer
                waferParts = 0; waferGood = 0
                if wafer >= 0 {
                    out += try record(2, 10) { r in r.u1(1); r.u1(255); r.u4(s.startTime); try r.cn(s.waferIDs[wafer], "wafer id") }
                }
            }
            let site = s.site?[p] ?? 1
            out += try record(5, 10) { $0.u1(1); $0.u1(site) }
            var executed = 0
            for j in 0..<k {
                let v = s.results[p * k + j]
                guard !v.isNaN else { continue }
                executed += 1
                let t = s.tests[j]
                let failed = (t.low.map { v < $0 } ?? false) || (t.high.map { v > $0 } ?? false)
                out += try record(15, 10) { r in
                    r.u4(t.number); r.u1(1); r.u1(site); r.u1(failed ? 0x80 : 0); r.u1(0); r.r4(v)
                    guard !described[j] else { return }
                    try r.cn(t.name, "test name"); try r.cn("", "alarm id")
                    // OPT_FLAG: bit 1 reserved (set), bits 2/3 no specs, bit 6/7 no low/high limit.
                    r.u1(0x02 | 0x04 | 0x08 | (t.low == nil ? 0x40 : 0) | (t.high == nil ? 0x80 : 0))
                    r.i1(0); r.i1(0); r.i1(0)
                    r.r4(t.low ?? 0); r.r4(t.high ?? 0)
                    try r.cn(t.units, "units")
                }
                described[j] = true
            }
            let hard = s.hardBin.isEmpty ? 1 : s.hardBin[p]
            let soft = s.softBin.isEmpty ? hard : s.softBin[p]
            let pass = s.pass?[p] ?? (hard == 1)
            if pass { good += 1; waferGood += 1 }
            waferParts += 1
            hardCounts[hard, default: (0, pass)].count += 1
            softCounts[soft, default: (0, pass)].count += 1
            out += try record(5, 20) { r in
                r.u1(1); r.u1(site); r.u1(pass ? 0 : 0x08); r.u2(min(executed, 65_535)); r.u2(hard); r.u2(soft)
                r.i2(s.x?[p] ?? -32_768); r.i2(s.y?[p] ?? -32_768); r.u4(s.testTime?[p] ?? 0)
                try r.cn(s.partIDs?[p] ?? String(p + 1), "part id")
            }
        }
        try closeWafer()
        out += try record(1, 30) { r in r.u1(255); r.u1(0); r.u4(n); r.u4(0); r.u4(0); r.u4(good); r.u4(0) }
        for (bins, sub, names) in [(hardCounts, 40, s.hardBinNames), (softCounts, 50, s.softBinNames)] {
            for (number, entry) in bins.sorted(by: { $0.key < $1.key }) {
                out += try record(1, sub) { r in
                    r.u1(255); r.u1(0); r.u2(number); r.u4(entry.count); r.c1(entry.pass ? "P" : "F")
                    try r.cn(names[number] ?? "", "bin name")
                }
            }
        }
        out += try record(1, 20) { r in r.u4(s.startTime + 7200); r.c1(" ") }
        return out
    }

    /// Writes `spec` to `path` (atomically); returns the number of bytes.
    @discardableResult
    public static func write(_ spec: STDFWriteSpec, to path: String) throws -> Int {
        let bytes = try encode(spec)
        try FileIO.writeAtomically(path: path, op: op) { try $0.write(bytes) }
        return bytes.count
    }
}
