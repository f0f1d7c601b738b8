import Foundation

/// An image file's format from its first bytes, without reading the whole file.
package enum ImageFormatSniffer {
    package static func format(ofFileAt path: String) -> ImageInfo.Format? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 12) else { return nil }
        return format(of: Array(head))
    }

    package static func format(of head: [UInt8]) -> ImageInfo.Format? {
        if head.starts(with: PNGEncoder.signature) { return .png }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WEBP".utf8) { return .webp }
        if head.count >= 12, head[4..<8].elementsEqual("ftyp".utf8), head[8..<12].elementsEqual("avif".utf8) { return .avif }
        return nil
    }
}
