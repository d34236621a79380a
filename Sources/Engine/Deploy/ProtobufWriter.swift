/// A minimal protocol-buffers wire-format encoder (no protobuf dependency), enough to write ONNX
/// ModelProto files: varints, 32-bit floats, length-delimited strings/bytes/sub-messages and
/// packed repeated scalars. Field numbers and wire types follow
/// https://protobuf.dev/programming-guides/encoding/.
///
///   var w = ProtobufWriter()
///   w.int64(1, 8)                       // field 1, varint 8
///   w.message(7) { g in g.string(2, "main") }
///   let bytes = w.bytes
public struct ProtobufWriter: Sendable {
    /// Wire types (the low 3 bits of a field key).
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Base-128 varint, least significant group first; negative Int64 values take 10 bytes
    /// (two's complement as UInt64), as protobuf encodes int32/int64 fields.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wire: WireType) {
        varint(UInt64(field) << 3 | wire.rawValue)
    }

    /// An int32/int64/enum/bool field (varint).
    public mutating func int64(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A float field (fixed32, little-endian IEEE 754).
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        appendLittleEndian(value.bitPattern)
    }

    /// A length-delimited field holding raw bytes.
    public mutating func bytes(_ field: Int, _ data: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    /// A UTF-8 string field.
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A sub-message field: `body` writes the message into its own writer, which is then
    /// appended with its length.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) throws -> Void) rethrows {
        var inner = ProtobufWriter()
        try body(&inner)
        bytes(field, inner.bytes)
    }

    /// A packed repeated int32/int64 field (one length-delimited run of varints).
    public mutating func packedInt64(_ field: Int, _ values: [Int]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for v in values { inner.varint(UInt64(bitPattern: Int64(v))) }
        bytes(field, inner.bytes)
    }

    /// A packed repeated float field (one length-delimited run of fixed32 values).
    public mutating func packedFloat(_ field: Int, _ values: [Float]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for v in values { inner.appendLittleEndian(v.bitPattern) }
        bytes(field, inner.bytes)
    }

    mutating func appendLittleEndian(_ word: UInt32) {
        bytes.append(UInt8(word & 0xFF))
        bytes.append(UInt8((word >> 8) & 0xFF))
        bytes.append(UInt8((word >> 16) & 0xFF))
        bytes.append(UInt8(word >> 24))
    }
}
