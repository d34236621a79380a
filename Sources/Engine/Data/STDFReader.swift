/// A parametric test as declared by the first PTR of its test number.
public struct STDFTest: Sendable, Equatable {
    public var number: Int
    public var name: String
    public var units: String
    /// nil when the test has no such limit.
    public var low: Double?
    public var high: Double?

    public init(number: Int, name: String, units: String = "", low: Double? = nil, high: Double? = nil) {
        self.number = number; self.name = name; self.units = units; self.low = low; self.high = high
    }
}

/// One tested part (a PIR … PRR pair).
public struct STDFPart: Sendable {
    public var head = 1, site = 1
    public var hardBin = 0, softBin = 0
    public var x = Int(Int16.min), y = Int(Int16.min)
    public var pass = false
    /// Test time in milliseconds (0 when not given).
    public var testTime = 0
    public var partID = ""
    /// Index into `STDFFile.waferIDs`, or -1 outside a wafer.
    public var wafer = -1
    /// Result per test index (into `STDFFile.tests`); absent when not executed.
    public var results: [Int: Double] = [:]
    public var failedTests: Set<Int> = []
}

/// A bin summary (HBR or SBR).
public struct STDFBin: Sendable, Equatable {
    public var head: Int, site: Int, number: Int, count: Int
    /// "P", "F" or "" (unknown).
    public var passFail: String
    public var name: String
}

public struct STDFFile: Sendable {
    public var cpuType = 2
    public var version = 4
    /// MIR fields by lower-case name (`lot_id`, `part_typ`, `node_nam`, ...), plus `setup_t`,
    /// `start_t` and MRR's `finish_t` as decimal text.
    public var mir: [String: String] = [:]
    public var tests: [STDFTest] = []
    public var parts: [STDFPart] = []
    public var hardBins: [STDFBin] = []
    public var softBins: [STDFBin] = []
    public var waferIDs: [String] = []
    /// Records read, by name (`unknown` for types the reader does not know).
    public var recordCounts: [String: Int] = [:]
    /// Records skipped by length (types the reader does not interpret).
    public var skipped = 0
    /// Parts opened by a PIR that never got their PRR.
    public var incompleteParts = 0
}

/// Reads STDF V4 files: FAR, MIR, MRR, WIR, PIR, PTR, PRR, HBR and SBR are interpreted; every
/// other record is skipped by its length. Malformed input (a bad or missing FAR, an unsupported
/// CPU type or version, a truncated header or record, a field running past its record) throws an
/// error naming the file, the byte offset and the record.
///
///     let file = try STDFReader.read(path: "lot.stdf")
///     file.tests.count, file.parts[0].results[0]
public enum STDFReader {
    static let op = "read_stdf"

    public static func read(path: String) throws -> STDFFile {
        let reader = try FileIO.Reader(path: path, op: op)
        guard reader.size <= 1 << 31 else {
            throw EngineError(op, "\(path) is \(reader.size) bytes; files above 2 GiB are not supported")
        }
        return try parse(reader.bytes(count: reader.size, at: 0), path: path)
    }

    static let mirStrings = ["lot_id", "part_typ", "node_nam", "tstr_typ", "job_nam", "job_rev", "sblot_id", "oper_nam",
                             "exec_typ", "exec_ver", "test_cod", "tst_temp", "user_txt", "aux_file", "pkg_typ", "famly_id",
                             "date_cod", "facil_id", "floor_id", "proc_id", "oper_frq", "spec_nam", "spec_ver", "flow_id",
                             "setup_id", "dsgn_rev", "eng_id", "rom_cod", "serl_num", "supr_nam"]

    public static func parse(_ bytes: [UInt8], path: String = "<bytes>") throws -> STDFFile {
        guard bytes.count >= 6 else {
            throw EngineError(op, "\(path): not an STDF file: \(bytes.count) bytes, but a FAR record alone needs 6")
        }
        guard bytes[2] == 0, bytes[3] == 10 else {
            throw EngineError(op, "\(path): offset 0: expected a FAR record (type 0, subtype 10) first; got type \(bytes[2]) subtype \(bytes[3]) (not an STDF V4 file?)")
        }
        var file = STDFFile()
        file.cpuType = Int(bytes[4])
        guard file.cpuType == 1 || file.cpuType == 2 else {
            let what = file.cpuType == 0 ? " (DEC VAX/PDP-11 number formats)" : ""
            throw EngineError(op, "\(path): offset 4: FAR record (0,10): unsupported CPU_TYP \(file.cpuType)\(what); expected 2 (little-endian) or 1 (big-endian)")
        }
        let bigEndian = file.cpuType == 1
        file.version = Int(bytes[5])
        guard file.version == 4 else {
            throw EngineError(op, "\(path): offset 5: FAR record (0,10): STDF_VER is \(file.version); only version 4 is supported")
        }
        let farLength = bigEndian ? Int(bytes[0]) << 8 | Int(bytes[1]) : Int(bytes[1]) << 8 | Int(bytes[0])
        guard farLength == 2 else {
            throw EngineError(op, "\(path): offset 0: FAR record (0,10): REC_LEN is \(farLength) in the byte order of CPU_TYP \(file.cpuType); expected 2")
        }

        var testIndex: [Int: Int] = [:]
        var open: [Int: Int] = [:]          // head*256+site → index into parts
        var closed: [Bool] = []             // per part: ended by its PRR
        var currentWafer = -1
        var offset = 0
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else {
                throw EngineError(op, "\(path): offset \(offset): truncated record header: \(bytes.count - offset) of 4 bytes before the end of the file")
            }
            let length = bigEndian ? Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                : Int(bytes[offset + 1]) << 8 | Int(bytes[offset])
            let type = Int(bytes[offset + 2]), subtype = Int(bytes[offset + 3])
            let name = STDF.recordName(type: type, subtype: subtype)
            let record = STDF.describe(type: type, subtype: subtype)
            let start = offset + 4
            guard start + length <= bytes.count else {
                throw EngineError(op, "\(path): offset \(offset): truncated \(record): REC_LEN is \(length) bytes but only \(bytes.count - start) remain in the file")
            }
            file.recordCounts[name, default: 0] += 1
            var c = STDFCursor(bytes: bytes, start: start, end: start + length, position: start, bigEndian: bigEndian,
                               recordOffset: offset, record: record, op: op, path: path)
            switch name {
            case "FAR":
                if offset != 0 { throw c.error("a second FAR record; files cannot be concatenated") }
            case "MIR":
                file.mir["setup_t"] = String(try c.u4("SETUP_T"))
                file.mir["start_t"] = String(try c.u4("START_T"))
                file.mir["stat_num"] = String(try c.u1("STAT_NUM"))
                file.mir["mode_cod"] = try c.c1("MODE_COD")
                file.mir["rtst_cod"] = try c.c1("RTST_COD")
                file.mir["prot_cod"] = try c.c1("PROT_COD")
                file.mir["burn_tim"] = String(try c.u2("BURN_TIM"))
                file.mir["cmod_cod"] = try c.c1("CMOD_COD")
                for field in mirStrings {
                    guard let s = try c.optional({ try $0.cn(field.uppercased()) }) else { break }
                    file.mir[field] = s
                }
            case "MRR":
                file.mir["finish_t"] = String(try c.u4("FINISH_T"))
            case "WIR":
                _ = try c.u1("HEAD_NUM"); _ = try c.u1("SITE_GRP"); _ = try c.u4("START_T")
                let id = try c.optional { try $0.cn("WAFER_ID") } ?? ""
                file.waferIDs.append(id)
                currentWafer = file.waferIDs.count - 1
            case "WRR":
                currentWafer = -1
            case "PIR":
                let head = try c.u1("HEAD_NUM"), site = try c.u1("SITE_NUM")
                var part = STDFPart()
                part.head = head; part.site = site; part.wafer = currentWafer
                file.parts.append(part)
                closed.append(false)
                open[head * 256 + site] = file.parts.count - 1
            case "PTR":
                let number = try c.u4("TEST_NUM")
                let head = try c.u1("HEAD_NUM"), site = try c.u1("SITE_NUM")
                let testFlags = try c.u1("TEST_FLG")
                _ = try c.u1("PARM_FLG")
                let result = try c.r4("RESULT")
                let text = try c.optional { try $0.cn("TEST_TXT") }
                _ = try c.optional { try $0.cn("ALARM_ID") }
                let optFlags = try c.optional { try $0.u1("OPT_FLAG") }
                var scales: [Int] = []
                for f in ["RES_SCAL", "LLM_SCAL", "HLM_SCAL"] { if let v = try c.optional({ try $0.i1(f) }) { scales.append(v) } }
                let low = try c.optional { try $0.r4("LO_LIMIT") }
                let high = try c.optional { try $0.r4("HI_LIMIT") }
                let units = try c.optional { try $0.cn("UNITS") }

                let index: Int
                if let known = testIndex[number] {
                    index = known
                } else {
                    index = file.tests.count
                    testIndex[number] = index
                    file.tests.append(STDFTest(number: number, name: ""))
                }
                // The first PTR of a test sets its defaults; later ones may refine them.
                if let text, !text.isEmpty, file.tests[index].name.isEmpty { file.tests[index].name = text }
                if let units, !units.isEmpty, file.tests[index].units.isEmpty { file.tests[index].units = units }
                if let flags = optFlags {
                    if flags & 0x40 != 0 { file.tests[index].low = nil }
                    else if flags & 0x10 == 0, let low { file.tests[index].low = low }
                    if flags & 0x80 != 0 { file.tests[index].high = nil }
                    else if flags & 0x20 == 0, let high { file.tests[index].high = high }
                }
                let key = head * 256 + site
                let p: Int
                if let existing = open[key] { p = existing } else {
                    var part = STDFPart()
                    part.head = head; part.site = site; part.wafer = currentWafer
                    file.parts.append(part)
                    closed.append(false)
                    p = file.parts.count - 1
                    open[key] = p
                }
                // Bit 1: RESULT invalid; bit 4: test not executed.
                if testFlags & 0x12 == 0 { file.parts[p].results[index] = result }
                if testFlags & 0x80 != 0 && testFlags & 0x40 == 0 { file.parts[p].failedTests.insert(index) }
            case "PRR":
                let head = try c.u1("HEAD_NUM"), site = try c.u1("SITE_NUM")
                let flags = try c.u1("PART_FLG")
                _ = try c.u2("NUM_TEST")
                let hard = try c.u2("HARD_BIN")
                let soft = try c.optional { try $0.u2("SOFT_BIN") } ?? 65535
                let x = try c.optional { try $0.i2("X_COORD") } ?? Int(Int16.min)
                let y = try c.optional { try $0.i2("Y_COORD") } ?? Int(Int16.min)
                let time = try c.optional { try $0.u4("TEST_T") } ?? 0
                let id = try c.optional { try $0.cn("PART_ID") } ?? ""
                let key = head * 256 + site
                let p: Int
                if let existing = open[key] { p = existing } else {
                    var part = STDFPart()
                    part.head = head; part.site = site; part.wafer = currentWafer
                    file.parts.append(part)
                    closed.append(false)
                    p = file.parts.count - 1
                }
                open[key] = nil
                closed[p] = true
                file.parts[p].hardBin = hard
                file.parts[p].softBin = soft
                file.parts[p].x = x; file.parts[p].y = y
                file.parts[p].testTime = time
                file.parts[p].partID = id
                // PART_FLG bit 4: pass/fail unknown (then bin 1 means pass); bit 3: failed.
                file.parts[p].pass = flags & 0x10 != 0 ? hard == 1 : flags & 0x08 == 0
            case "HBR", "SBR":
                let head = try c.u1("HEAD_NUM"), site = try c.u1("SITE_NUM")
                let number = try c.u2(name == "HBR" ? "HBIN_NUM" : "SBIN_NUM")
                let count = try c.u4(name == "HBR" ? "HBIN_CNT" : "SBIN_CNT")
                let pf = try c.optional { try $0.c1("BIN_PF") } ?? ""
                let binName = try c.optional { try $0.cn("BIN_NAM") } ?? ""
                let bin = STDFBin(head: head, site: site, number: number, count: count, passFail: pf, name: binName)
                if name == "HBR" { file.hardBins.append(bin) } else { file.softBins.append(bin) }
            default:
                file.skipped += 1
            }
            offset = start + length
        }
        // Parts that never got their PRR are dropped, but counted.
        file.incompleteParts = closed.filter { !$0 }.count
        if file.incompleteParts > 0 {
            file.parts = file.parts.enumerated().filter { closed[$0.offset] }.map(\.element)
        }
        return file
    }
}
