/// Checks that bytes are a whole PNG, JPEG or WebP image and reads its size, so that a
/// truncated download or an HTML error page never counts as an image.
public enum ImageInspector {
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var description: String
        package init(_ d: String) { description = d }
    }

    public static func inspect(_ bytes: [UInt8]) throws(Problem) -> ImageInfo {
        if bytes.starts(with: PNGEncoder.signature) { return try png(bytes) }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return try jpeg(bytes) }
        if bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) { return try webp(bytes) }
        if bytes.isEmpty { throw Problem("the image is empty (0 bytes)") }
        let start = String(decoding: bytes.prefix(16), as: UTF8.self).filter { $0.isASCII && !$0.isNewline }
        throw Problem("not a PNG, JPEG or WebP image (it starts with \"\(start)\")")
    }

    private static func u32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    private static func le32(_ b: [UInt8], _ i: Int) -> Int {
        Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
    }

    /// Walks every chunk and checks its CRC; needs IHDR first, an IDAT, and IEND last.
    private static func png(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        var i = 8
        var size: (Int, Int)?
        var sawData = false
        while i + 12 <= b.count {
            let length = u32(b, i)
            let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
            guard length <= b.count - i - 12 else { throw Problem("truncated PNG: chunk \(type) runs past the end of the file") }
            let crc = UInt32(u32(b, i + 8 + length))
            guard Checksums.crc32(b[(i + 4)..<(i + 8 + length)]) == crc else { throw Problem("corrupt PNG: chunk \(type) fails its CRC check") }
            if size == nil {
                guard type == "IHDR", length >= 8 else { throw Problem("corrupt PNG: the first chunk is not IHDR") }
                size = (u32(b, i + 8), u32(b, i + 12))
            }
            if type == "IDAT" { sawData = true }
            if type == "IEND" {
                guard sawData, let size else { throw Problem("corrupt PNG: no image data before IEND") }
                guard size.0 > 0, size.1 > 0 else { throw Problem("corrupt PNG: zero width or height") }
                return ImageInfo(format: .png, width: size.0, height: size.1)
            }
            i += 12 + length
        }
        throw Problem("truncated PNG: no IEND chunk")
    }

    /// Finds the frame header's size and the end-of-image marker.
    private static func jpeg(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        var i = 2
        var size: (Int, Int)?
        while i + 4 <= b.count, size == nil {
            guard b[i] == 0xFF else { throw Problem("corrupt JPEG: expected a marker at byte \(i)") }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { throw Problem("truncated JPEG: a segment runs past the end") }
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                guard length >= 7 else { throw Problem("corrupt JPEG: short frame header") }
                size = (Int(b[i + 7]) << 8 | Int(b[i + 8]), Int(b[i + 5]) << 8 | Int(b[i + 6]))
            }
            i += 2 + length
        }
        guard let size, size.0 > 0, size.1 > 0 else { throw Problem("corrupt JPEG: no frame header with a size") }
        var end = b.count
        while end > 2, b[end - 1] == 0 { end -= 1 }
        guard end >= 2, b[end - 2] == 0xFF, b[end - 1] == 0xD9 else { throw Problem("truncated JPEG: no end-of-image marker") }
        return ImageInfo(format: .jpeg, width: size.0, height: size.1)
    }

    private static func webp(_ b: [UInt8]) throws(Problem) -> ImageInfo {
        let riffSize = le32(b, 4)
        guard riffSize + 8 <= b.count else { throw Problem("truncated WebP: the file is \(b.count) bytes, its header says \(riffSize + 8)") }
        guard b.count >= 30 else { throw Problem("truncated WebP: too short for a frame header") }
        let chunk = String(decoding: b[12..<16], as: UTF8.self)
        let size: (Int, Int)
        switch chunk {
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { throw Problem("corrupt WebP: bad VP8 start code") }
            size = ((Int(b[26]) | Int(b[27]) << 8) & 0x3FFF, (Int(b[28]) | Int(b[29]) << 8) & 0x3FFF)
        case "VP8L":
            guard b[20] == 0x2F else { throw Problem("corrupt WebP: bad VP8L signature") }
            let bits = le32(b, 21)
            size = ((bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
        case "VP8X":
            size = ((Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16) + 1, (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16) + 1)
        default:
            throw Problem("corrupt WebP: unknown first chunk '\(chunk)'")
        }
        guard size.0 > 0, size.1 > 0 else { throw Problem("corrupt WebP: zero width or height") }
        return ImageInfo(format: .webp, width: size.0, height: size.1)
    }
}
