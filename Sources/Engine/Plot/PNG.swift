/// PNG encoding of 8-bit RGB images (https://www.w3.org/TR/png/): the signature, an IHDR chunk,
/// one IDAT chunk holding the zlib stream of the filtered scanlines, and IEND. Each chunk is
/// length, type, data and the CRC-32 of type and data.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG file bytes of a `width` × `height` RGB image (`rgb` row-major, 3 bytes a pixel).
    /// `compress` uses per-row filters and fixed-Huffman deflate; otherwise unfiltered rows
    /// in stored (uncompressed) deflate blocks.
    static func encode(width: Int, height: Int, rgb: [UInt8], compress: Bool = true) -> [UInt8] {
        var header: [UInt8] = []
        appendBigEndian(&header, UInt32(width))
        appendBigEndian(&header, UInt32(height))
        header += [8, 2, 0, 0, 0]  // bit depth 8, color type 2 (RGB), deflate, adaptive filters, no interlace
        let raw = compress ? filteredScanlines(width: width, height: height, rgb: rgb)
                           : unfilteredScanlines(width: width, height: height, rgb: rgb)
        var out = signature
        appendChunk(&out, "IHDR", header)
        appendChunk(&out, "IDAT", Zlib.wrap(raw, compress: compress))
        appendChunk(&out, "IEND", [])
        return out
    }

    static func appendBigEndian(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBigEndian(&out, UInt32(data.count))
        let typeBytes = Array(type.utf8)
        out += typeBytes
        out += data
        appendBigEndian(&out, crc32(data, seed: crc32(typeBytes)))
    }

    /// Each row prefixed by filter type 0 (None).
    static func unfilteredScanlines(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        let stride = width * 3
        var out = [UInt8]()
        out.reserveCapacity(height * (stride + 1))
        for y in 0..<height {
            out.append(0)
            out += rgb[(y * stride)..<((y + 1) * stride)]
        }
        return out
    }

    /// Each row with the filter (None, Sub, Up or Paeth) whose output has the smallest sum of
    /// magnitudes, the usual heuristic from the PNG specification.
    static func filteredScanlines(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        let stride = width * 3
        var out = [UInt8](repeating: 0, count: height * (stride + 1))
        guard stride > 0 && height > 0 else { return out }
        // Four candidate rows side by side; the chosen one is copied out.
        var scratch = [UInt8](repeating: 0, count: 4 * stride)
        let zeros = [UInt8](repeating: 0, count: stride)
        rgb.withUnsafeBufferPointer { pixels in
            zeros.withUnsafeBufferPointer { zeroRow in
                scratch.withUnsafeMutableBufferPointer { candidates in
                    out.withUnsafeMutableBufferPointer { dest in
                        guard let p = pixels.baseAddress, let z = zeroRow.baseAddress, let c = candidates.baseAddress,
                              let d = dest.baseAddress else { return }
                        for y in 0..<height {
                            let x = p + y * stride, up = y > 0 ? p + (y - 1) * stride : z
                            let none = c, sub = c + stride, upF = c + 2 * stride, pae = c + 3 * stride
                            var scores = (0, 0, 0, 0)
                            for i in 0..<stride {
                                let a = i >= 3 ? x[i - 3] : 0, b = up[i], cc = i >= 3 ? up[i - 3] : 0
                                let v0 = x[i], v1 = x[i] &- a, v2 = x[i] &- b, v3 = x[i] &- paeth(a, b, cc)
                                none[i] = v0; sub[i] = v1; upF[i] = v2; pae[i] = v3
                                scores.0 &+= magnitude(v0); scores.1 &+= magnitude(v1)
                                scores.2 &+= magnitude(v2); scores.3 &+= magnitude(v3)
                            }
                            var best = 0, bestScore = scores.0
                            if scores.1 < bestScore { best = 1; bestScore = scores.1 }
                            if scores.2 < bestScore { best = 2; bestScore = scores.2 }
                            if scores.3 < bestScore { best = 3 }
                            let row = d + y * (stride + 1)
                            row[0] = best == 3 ? 4 : UInt8(best)
                            (row + 1).update(from: c + best * stride, count: stride)
                        }
                    }
                }
            }
        }
        return out
    }

    /// |v| of a filtered byte read as signed.
    @inline(__always)
    static func magnitude(_ v: UInt8) -> Int { v < 128 ? Int(v) : 256 - Int(v) }

    @inline(__always)
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
    }

    /// CRC-32 (ISO 3309, polynomial 0xEDB88320) as PNG chunks use it; `seed` continues a
    /// previous CRC.
    static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        var c = ~seed
        crcTable.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { data in
                for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            }
        }
        return ~c
    }

    private static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}

/// The zlib format (RFC 1950) around a deflate stream (RFC 1951).
enum Zlib {
    /// CMF/FLG header, deflate data, Adler-32 of `data`.
    static func wrap(_ data: [UInt8], compress: Bool) -> [UInt8] {
        // 0x78: deflate with a 32K window; FLG makes the header a multiple of 31.
        var out: [UInt8] = [0x78, compress ? 0x5E : 0x01]
        out += compress ? Deflate.fixedHuffman(data) : Deflate.stored(data)
        PNG.appendBigEndian(&out, adler32(data))
        return out
    }

    /// Adler-32: two 16-bit sums modulo 65521.
    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            // 5552 bytes is the most that cannot overflow 32 bits before the modulo.
            let end = Swift.min(i + 5552, data.count)
            while i < end { a &+= UInt32(data[i]); b &+= a; i += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }
}
