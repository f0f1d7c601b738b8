/// Writes 8-bit RGB pixels as a PNG file.
public enum PNGEncoder {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `rgb` holds `width * height * 3` bytes, row by row.
    public static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(rgb.count == width * height * 3)
        let rowLength = width * 3
        // Filter type 0 (none) on every row: the compressor finds the repeats itself.
        var raw = [UInt8]()
        raw.reserveCapacity((rowLength + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * rowLength)..<((y + 1) * rowLength)])
        }
        var zlib: [UInt8] = [0x78, 0x01]
        zlib += Deflate.compress(raw, hints: [3, rowLength + 1])
        zlib += bigEndian(Checksums.adler32(raw))

        var png = signature
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8 bits, RGB, deflate, no filter set, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlib, to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    package static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        png += bigEndian(Checksums.crc32(data, initial: Checksums.crc32(typeBytes)))
    }

    package static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}
