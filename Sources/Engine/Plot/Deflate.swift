/// Deflate streams (RFC 1951): stored blocks, or one block of fixed Huffman codes over greedy
/// LZ77 matches (hash chains over a 32K window). Plots are mostly flat color, so the simple
/// fixed-code form already shrinks them by one to two orders of magnitude.
enum Deflate {
    /// Stored blocks of at most 65535 bytes: header byte (BFINAL, BTYPE 00), LEN, NLEN, data.
    static func stored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 5)
        var start = 0
        repeat {
            let n = Swift.min(65535, data.count - start)
            let final = start + n == data.count
            out.append(final ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[start..<(start + n)]
            start += n
        } while start < data.count
        return out
    }

    /// Base match lengths of length codes 257...285 and their extra bits.
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    /// Base distances of distance codes 0...29 and their extra bits.
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                      1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                       11, 11, 12, 12, 13, 13]

    /// Length code index (0...28) for each match length 3...258.
    private static let lengthCode: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 259)
        // Code 27 covers 227...257; 258 has its own code 28.
        for code in 0..<28 {
            for len in lengthBase[code]..<lengthBase[code + 1] { table[len] = UInt8(code) }
        }
        table[258] = 28
        return table
    }()

    /// Distance code (0...29) for a distance 1...32768.
    @inline(__always)
    private static func distanceCode(_ d: Int) -> Int {
        var lo = 0, hi = 29
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if distanceBase[mid] <= d { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Writes bits least-significant first, as deflate packs them.
    private struct BitWriter {
        var out: [UInt8] = []
        var buffer: UInt64 = 0
        var count = 0

        @inline(__always) mutating func write(_ value: Int, _ bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 {
                out.append(UInt8(buffer & 0xFF))
                buffer >>= 8
                count -= 8
            }
        }

        /// A Huffman code, which deflate stores most-significant bit first.
        @inline(__always) mutating func writeCode(_ code: Int, _ bits: Int) {
            var reversed = 0
            for i in 0..<bits where code & (1 << i) != 0 { reversed |= 1 << (bits - 1 - i) }
            write(reversed, bits)
        }

        mutating func finish() -> [UInt8] {
            if count > 0 { out.append(UInt8(buffer & 0xFF)) }
            return out
        }
    }

    /// The fixed literal/length code of `symbol` (0...287): (code, bit count).
    @inline(__always)
    private static func fixedCode(_ symbol: Int) -> (Int, Int) {
        switch symbol {
        case 0...143: return (0x30 + symbol, 8)
        case 144...255: return (0x190 + symbol - 144, 9)
        case 256...279: return (symbol - 256, 7)
        default: return (0xC0 + symbol - 280, 8)
        }
    }

    /// One final block with fixed Huffman codes (BTYPE 01).
    static func fixedHuffman(_ data: [UInt8]) -> [UInt8] {
        // Positions are kept as Int32; beyond that, fall back to stored blocks.
        guard data.count < Int(Int32.max) else { return stored(data) }
        var w = BitWriter()
        w.out.reserveCapacity(data.count / 8 + 64)
        w.write(1, 1)  // BFINAL
        w.write(1, 2)  // BTYPE = 01
        let n = data.count
        let window = 1 << 15, hashBits = 15, maxChain = 48
        // Hash chains: head[h] is the latest position whose next 3 bytes hash to h; prev links
        // each position to the previous one with the same hash (a 32K ring).
        let head = UnsafeMutablePointer<Int32>.allocate(capacity: 1 << hashBits)
        let prev = UnsafeMutablePointer<Int32>.allocate(capacity: window)
        head.initialize(repeating: -1, count: 1 << hashBits)
        prev.initialize(repeating: -1, count: window)
        defer {
            head.deallocate()
            prev.deallocate()
        }
        data.withUnsafeBufferPointer { dataBuffer in
            guard let p = dataBuffer.baseAddress else { return }
            @inline(__always) func hash(_ i: Int) -> Int {
                let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
                return Int((v &* 0x9E37_79B1) >> UInt32(32 - hashBits))
            }
            @inline(__always) func insert(_ i: Int) {
                guard i + 2 < n else { return }
                let h = hash(i)
                prev[i & (window - 1)] = head[h]
                head[h] = Int32(i)
            }
            var i = 0
            while i < n {
                var bestLength = 0, bestDistance = 0
                if i + 2 < n {
                    var candidate = Int(head[hash(i)])
                    var chain = 0
                    let limit = Swift.min(258, n - i)
                    while candidate >= 0 && i - candidate < window && chain < maxChain {
                        if p[candidate + bestLength] == p[i + bestLength] {
                            var len = 0
                            while len < limit && p[candidate + len] == p[i + len] { len += 1 }
                            if len > bestLength {
                                bestLength = len
                                bestDistance = i - candidate
                                if len == limit { break }
                            }
                        }
                        let next = Int(prev[candidate & (window - 1)])
                        if next >= candidate { break }
                        candidate = next
                        chain += 1
                    }
                }
                if bestLength >= 3 {
                    let lc = Int(lengthCode[bestLength])
                    let (code, bits) = fixedCode(257 + lc)
                    w.writeCode(code, bits)
                    if lengthExtra[lc] > 0 { w.write(bestLength - lengthBase[lc], lengthExtra[lc]) }
                    let dc = distanceCode(bestDistance)
                    w.writeCode(dc, 5)
                    if distanceExtra[dc] > 0 { w.write(bestDistance - distanceBase[dc], distanceExtra[dc]) }
                    for k in 0..<bestLength { insert(i + k) }
                    i += bestLength
                } else {
                    let (code, bits) = fixedCode(Int(p[i]))
                    w.writeCode(code, bits)
                    insert(i)
                    i += 1
                }
            }
        }
        let (code, bits) = fixedCode(256)  // end of block
        w.writeCode(code, bits)
        return w.finish()
    }
}
