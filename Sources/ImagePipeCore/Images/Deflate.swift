/// A small DEFLATE (RFC 1951) compressor: greedy LZ77 over a 32 KiB window with one fixed-Huffman
/// block. Enough for the placeholder's flat-coloured images, which shrink to a few KiB, without
/// a zlib dependency.
package enum Deflate {
    private struct BitWriter {
        package var bytes: [UInt8] = []
        package var buffer: UInt64 = 0
        package var count = 0

        package mutating func write(_ value: UInt32, bits: Int) {
            buffer |= UInt64(value) << UInt64(count)
            count += bits
            while count >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                count -= 8
            }
        }

        /// Huffman codes go most significant bit first.
        package mutating func writeCode(_ code: UInt32, bits: Int) {
            var reversed: UInt32 = 0
            for i in 0..<bits where code & (1 << UInt32(i)) != 0 { reversed |= 1 << UInt32(bits - 1 - i) }
            write(reversed, bits: bits)
        }

        package mutating func finish() -> [UInt8] {
            if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
            return bytes
        }
    }

    private static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let window = 32768
    private static let maxMatch = 258

    private static func writeSymbol(_ symbol: Int, to w: inout BitWriter) {
        switch symbol {
        case 0...143: w.writeCode(UInt32(0x30 + symbol), bits: 8)
        case 144...255: w.writeCode(UInt32(0x190 + symbol - 144), bits: 9)
        case 256...279: w.writeCode(UInt32(symbol - 256), bits: 7)
        default: w.writeCode(UInt32(0xC0 + symbol - 280), bits: 8)
        }
    }

    private static func writeMatch(length: Int, distance: Int, to w: inout BitWriter) {
        var l = lengthBase.count - 1
        while lengthBase[l] > length { l -= 1 }
        writeSymbol(257 + l, to: &w)
        if lengthExtra[l] > 0 { w.write(UInt32(length - lengthBase[l]), bits: lengthExtra[l]) }
        var d = distanceBase.count - 1
        while distanceBase[d] > distance { d -= 1 }
        w.writeCode(UInt32(d), bits: 5)
        if distanceExtra[d] > 0 { w.write(UInt32(distance - distanceBase[d]), bits: distanceExtra[d]) }
    }

    /// Compresses `data`; `hints` are distances worth trying first at every position (for an
    /// image: one pixel back, one row back).
    package static func compress(_ data: [UInt8], hints: [Int] = []) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1)  // the final block
        w.write(1, bits: 2)  // fixed Huffman codes
        let n = data.count
        var table = [Int32](repeating: -1, count: 1 << 15)
        data.withUnsafeBufferPointer { p in
            func matchLength(_ i: Int, _ j: Int) -> Int {
                let limit = min(maxMatch, n - i)
                var l = 0
                while l < limit, p[i + l] == p[j + l] { l += 1 }
                return l
            }
            func hash(_ i: Int) -> Int {
                Int((UInt32(p[i]) << 10 ^ UInt32(p[i + 1]) << 5 ^ UInt32(p[i + 2])) & 0x7FFF)
            }
            var i = 0
            while i < n {
                var bestLength = 0, bestDistance = 0
                if i + 3 <= n {
                    for d in hints where d <= i && d <= window {
                        let l = matchLength(i, i - d)
                        if l > bestLength { bestLength = l; bestDistance = d }
                    }
                    let h = hash(i)
                    let candidate = Int(table[h])
                    if candidate >= 0, i - candidate <= window, bestLength < maxMatch {
                        let l = matchLength(i, candidate)
                        if l > bestLength { bestLength = l; bestDistance = i - candidate }
                    }
                    table[h] = Int32(i)
                }
                if bestLength >= 3 {
                    writeMatch(length: bestLength, distance: bestDistance, to: &w)
                    // Index a few positions inside long matches so later data can find them.
                    var k = i + 1
                    let end = min(i + bestLength, n - 2)
                    while k < end { table[hash(k)] = Int32(k); k += max(1, bestLength / 8) }
                    i += bestLength
                } else {
                    writeSymbol(Int(p[i]), to: &w)
                    i += 1
                }
            }
        }
        writeSymbol(256, to: &w)
        return w.finish()
    }
}
