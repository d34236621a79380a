/// STDF V4 (Standard Test Data Format, Teradyne 2007) building blocks shared by the reader and
/// the writer: record names, the record header (REC_LEN U2, REC_TYP U1, REC_SUB U1; REC_LEN
/// counts the bytes after the header) and the data types (U1/U2/U4, I1/I2, R4, C1, Cn, B1) in
/// the byte order the FAR's CPU_TYP declares (2: little-endian, 1: big-endian).
public enum STDF {
    /// The record name of (REC_TYP, REC_SUB), e.g. `PTR` for (15, 10).
    public static func recordName(type: Int, subtype: Int) -> String {
        switch (type, subtype) {
        case (0, 10): return "FAR"
        case (0, 20): return "ATR"
        case (1, 10): return "MIR"
        case (1, 20): return "MRR"
        case (1, 30): return "PCR"
        case (1, 40): return "HBR"
        case (1, 50): return "SBR"
        case (1, 60): return "PMR"
        case (1, 62): return "PGR"
        case (1, 63): return "PLR"
        case (1, 70): return "RDR"
        case (1, 80): return "SDR"
        case (2, 10): return "WIR"
        case (2, 20): return "WRR"
        case (2, 30): return "WCR"
        case (5, 10): return "PIR"
        case (5, 20): return "PRR"
        case (10, 30): return "TSR"
        case (15, 10): return "PTR"
        case (15, 15): return "MPR"
        case (15, 20): return "FTR"
        case (20, 10): return "BPS"
        case (20, 20): return "EPS"
        case (50, 10): return "GDR"
        case (50, 30): return "DTR"
        default: return "unknown"
        }
    }

    /// `PTR record (15,10)` or `record type 9 subtype 9` for messages.
    static func describe(type: Int, subtype: Int) -> String {
        let name = recordName(type: type, subtype: subtype)
        return name == "unknown" ? "record of unknown type \(type) subtype \(subtype)" : "\(name) record (\(type),\(subtype))"
    }
}

/// Reads the fields of one record. Required fields throw when the record is too short; optional
/// trailing fields (the spec lets writers omit them) come back nil.
struct STDFCursor {
    let bytes: [UInt8]
    /// Absolute offsets of the record's data: `start..<end`.
    let start: Int
    let end: Int
    var position: Int
    let bigEndian: Bool
    /// Offset of the record header and its description, for messages.
    let recordOffset: Int
    let record: String
    let op: String
    let path: String

    var atEnd: Bool { position >= end }

    func error(_ detail: String) -> EngineError {
        EngineError(op, "\(path): offset \(recordOffset): \(record): \(detail)")
    }

    private mutating func take(_ count: Int, _ field: String) throws -> Int {
        guard position + count <= end else {
            throw error("too short for field \(field) (needs \(count) bytes at record byte \(position - start) of \(end - start))")
        }
        defer { position += count }
        return position
    }

    private mutating func unsigned(_ count: Int, _ field: String) throws -> UInt64 {
        let at = try take(count, field)
        var v: UInt64 = 0
        for k in 0..<count {
            let byte = UInt64(bytes[bigEndian ? at + k : at + count - 1 - k])
            v = (v << 8) | byte
        }
        return v
    }

    mutating func u1(_ field: String) throws -> Int { Int(try unsigned(1, field)) }
    mutating func u2(_ field: String) throws -> Int { Int(try unsigned(2, field)) }
    mutating func u4(_ field: String) throws -> Int { Int(try unsigned(4, field)) }
    mutating func i1(_ field: String) throws -> Int { Int(Int8(truncatingIfNeeded: try unsigned(1, field))) }
    mutating func i2(_ field: String) throws -> Int { Int(Int16(truncatingIfNeeded: try unsigned(2, field))) }
    mutating func r4(_ field: String) throws -> Double {
        Double(Float(bitPattern: UInt32(truncatingIfNeeded: try unsigned(4, field))))
    }
    mutating func c1(_ field: String) throws -> String {
        let v = try unsigned(1, field)
        return v == 0 || v == 32 ? "" : String(UnicodeScalar(UInt8(v)))
    }

    /// A Cn string: a length byte then that many characters.
    mutating func cn(_ field: String) throws -> String {
        let count = Int(try unsigned(1, field))
        let at = try take(count, field)
        return String(decoding: bytes[at..<(at + count)], as: UTF8.self)
    }

    /// Optional trailing fields: nil once the record has ended.
    mutating func optional<T>(_ read: (inout STDFCursor) throws -> T) rethrows -> T? {
        atEnd ? nil : try read(&self)
    }
}

/// Appends STDF data types to a byte buffer in one byte order.
struct STDFBytes {
    var bytes: [UInt8] = []
    let bigEndian: Bool
    let op: String

    mutating func unsigned(_ v: UInt64, _ count: Int) {
        for k in 0..<count {
            let shift = UInt64(8 * (bigEndian ? count - 1 - k : k))
            bytes.append(UInt8(truncatingIfNeeded: v >> shift))
        }
    }

    mutating func u1(_ v: Int) { unsigned(UInt64(truncatingIfNeeded: v), 1) }
    mutating func u2(_ v: Int) { unsigned(UInt64(truncatingIfNeeded: v), 2) }
    mutating func u4(_ v: Int) { unsigned(UInt64(truncatingIfNeeded: v), 4) }
    mutating func i1(_ v: Int) { unsigned(UInt64(UInt8(bitPattern: Int8(truncatingIfNeeded: v))), 1) }
    mutating func i2(_ v: Int) { unsigned(UInt64(UInt16(bitPattern: Int16(truncatingIfNeeded: v))), 2) }
    mutating func r4(_ v: Double) { unsigned(UInt64(Float(v).bitPattern), 4) }
    mutating func c1(_ s: String) { bytes.append(s.utf8.first ?? 32) }

    mutating func cn(_ s: String, _ field: String) throws {
        let utf8 = Array(s.utf8)
        guard utf8.count <= 255 else {
            throw EngineError(op, "\(field) is \(utf8.count) bytes long; STDF strings hold at most 255")
        }
        bytes.append(UInt8(utf8.count))
        bytes += utf8
    }

    /// Wraps `body`'s fields into a record with its header.
    static func record(type: Int, subtype: Int, bigEndian: Bool, op: String,
                       _ body: (inout STDFBytes) throws -> Void) throws -> [UInt8] {
        var data = STDFBytes(bigEndian: bigEndian, op: op)
        try body(&data)
        guard data.bytes.count <= 65_535 else {
            throw EngineError(op, "\(STDF.describe(type: type, subtype: subtype)) would be \(data.bytes.count) bytes; REC_LEN allows 65535")
        }
        var header = STDFBytes(bigEndian: bigEndian, op: op)
        header.u2(data.bytes.count)
        header.u1(type)
        header.u1(subtype)
        return header.bytes + data.bytes
    }
}
