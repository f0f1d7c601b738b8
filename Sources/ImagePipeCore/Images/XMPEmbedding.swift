/// Puts an XMP packet into an encoded PNG, JPEG or WebP without decoding it (the pixels and
/// their compression stay as the provider sent them), and finds one that is there. A packet
/// already in the file is replaced, never doubled.
public enum XMPEmbedding {
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }

    /// The keyword of the PNG text chunk XMP lives in (Adobe's XMP specification, part 3).
    static let pngKeyword = Array("XML:com.adobe.xmp".utf8)
    /// The JPEG APP1 segment's identifier for XMP.
    static let jpegIdentifier = Array("http://ns.adobe.com/xap/1.0/".utf8) + [0]

    public static func embed(_ xml: String, in bytes: [UInt8]) throws(Problem) -> [UInt8] {
        let packet = Array(xml.utf8)
        switch ImageFormatSniffer.format(of: Array(bytes.prefix(12))) {
        case .png?: return try png(bytes, packet)
        case .jpeg?: return try jpeg(bytes, packet)
        case .webp?: return try webp(bytes, packet)
        default: throw Problem("XMP can be written into PNG, JPEG and WebP files only")
        }
    }

    /// Whether the file carries C2PA Content Credentials (a signed manifest whose hash covers the
    /// file's bytes: adding anything breaks it): a `caBX` chunk in PNG, a JUMBF APP11 segment in
    /// JPEG, a `C2PA` chunk in WebP.
    public static func hasContentCredentials(_ bytes: [UInt8]) -> Bool {
        switch ImageFormatSniffer.format(of: Array(bytes.prefix(12))) {
        case .png?: return PNGChunks(bytes).contains { $0.type == "caBX" }
        case .jpeg?: return JPEGSegments(bytes).contains { $0.marker == 0xEB && bytes[$0.data].starts(with: Array("JP".utf8)) }
        case .webp?: return RIFFChunks(bytes).contains { $0.type == "C2PA" }
        default: return false
        }
    }

    /// The XMP packet in the file, if it has one.
    public static func extract(from bytes: [UInt8]) -> String? {
        switch ImageFormatSniffer.format(of: Array(bytes.prefix(12))) {
        case .png?:
            for chunk in PNGChunks(bytes) where chunk.type == "iTXt" {
                let data = bytes[chunk.data]
                guard data.starts(with: pngKeyword + [0]) else { continue }
                // keyword\0 compression-flag method language\0 translated\0 text
                var i = data.startIndex + pngKeyword.count + 3
                guard i <= data.endIndex, data[i - 2] == 0 else { continue }
                for _ in 0..<2 {
                    guard let end = data[i...].firstIndex(of: 0) else { return nil }
                    i = end + 1
                }
                return String(decoding: data[i...], as: UTF8.self)
            }
            return nil
        case .jpeg?:
            for segment in JPEGSegments(bytes) where segment.marker == 0xE1 {
                let data = bytes[segment.data]
                if data.starts(with: jpegIdentifier) { return String(decoding: data.dropFirst(jpegIdentifier.count), as: UTF8.self) }
            }
            return nil
        case .webp?:
            for chunk in RIFFChunks(bytes) where chunk.type == "XMP " { return String(decoding: bytes[chunk.data], as: UTF8.self) }
            return nil
        default:
            return nil
        }
    }

    // MARK: PNG

    private static func png(_ b: [UInt8], _ packet: [UInt8]) throws(Problem) -> [UInt8] {
        let chunks = Array(PNGChunks(b))
        guard let header = chunks.first, header.type == "IHDR" else { throw Problem("not a PNG: no IHDR chunk first") }
        var out = Array(b[0..<header.end])
        out.reserveCapacity(b.count + packet.count + 64)
        // iTXt, uncompressed, no language: readers find XMP there (exiftool, Adobe's toolkit).
        let data = pngKeyword + [0, 0, 0, 0, 0] + packet
        appendBE32(&out, UInt32(data.count))
        let typeAndData = Array("iTXt".utf8) + data
        out += typeAndData
        appendBE32(&out, Checksums.crc32(typeAndData))
        for chunk in chunks.dropFirst() {
            if chunk.type == "iTXt", b[chunk.data].starts(with: pngKeyword + [0]) { continue }
            out += b[chunk.start..<chunk.end]
        }
        return out
    }

    struct PNGChunks: Sequence, IteratorProtocol {
        struct Chunk { var type: String; var start: Int; var data: Range<Int>; var end: Int }
        let bytes: [UInt8]
        var offset = 8
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        mutating func next() -> Chunk? {
            guard offset + 12 <= bytes.count else { return nil }
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length <= bytes.count - offset - 12 else { return nil }
            let chunk = Chunk(type: String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self), start: offset,
                              data: (offset + 8)..<(offset + 8 + length), end: offset + 12 + length)
            offset = chunk.end
            return chunk
        }
    }

    // MARK: JPEG

    private static func jpeg(_ b: [UInt8], _ packet: [UInt8]) throws(Problem) -> [UInt8] {
        let payload = jpegIdentifier + packet
        guard payload.count + 2 <= 0xFFFF else { throw Problem("the XMP packet (\(packet.count) bytes) is too large for one JPEG segment") }
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(b.count + payload.count + 4)
        var inserted = false
        var rest = 2
        for segment in JPEGSegments(b) {
            // After JFIF (APP0) and Exif (APP1): where writers put XMP and readers expect it.
            if !inserted, segment.marker != 0xE0, !(segment.marker == 0xE1 && !b[segment.data].starts(with: jpegIdentifier)) {
                out += [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
                inserted = true
            }
            rest = segment.end
            if segment.marker == 0xE1, b[segment.data].starts(with: jpegIdentifier) { continue }
            out += b[segment.start..<segment.end]
            if segment.marker == 0xDA { break }
        }
        guard inserted else { throw Problem("not a JPEG this can write XMP into: no image data found") }
        out += b[rest...]
        return out
    }

    struct JPEGSegments: Sequence, IteratorProtocol {
        struct Segment { var marker: UInt8; var start: Int; var data: Range<Int>; var end: Int }
        let bytes: [UInt8]
        var offset = 2
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        /// Segments up to and including start-of-scan (whose entropy-coded data follows it).
        mutating func next() -> Segment? {
            guard offset + 4 <= bytes.count, bytes[offset] == 0xFF else { return nil }
            var at = offset
            while at + 1 < bytes.count, bytes[at + 1] == 0xFF { at += 1 }  // fill bytes
            guard at + 4 <= bytes.count else { return nil }
            let marker = bytes[at + 1]
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            guard length >= 2, at + 2 + length <= bytes.count else { return nil }
            let segment = Segment(marker: marker, start: offset, data: (at + 4)..<(at + 2 + length), end: at + 2 + length)
            offset = marker == 0xDA ? bytes.count : segment.end
            return segment
        }
    }

    // MARK: WebP

    private static func webp(_ b: [UInt8], _ packet: [UInt8]) throws(Problem) -> [UInt8] {
        var chunks = Array(RIFFChunks(b))
        guard let first = chunks.first else { throw Problem("not a WebP: no chunks") }
        var header: [UInt8]
        if first.type == "VP8X" {
            guard first.data.count >= 10 else { throw Problem("not a WebP: its VP8X chunk is \(first.data.count) bytes, not 10") }
            header = Array(b[first.data])
            chunks.removeFirst()
        } else {
            guard let size = try? ImageInspector.inspect(b) else { throw Problem("not a WebP whose size can be read") }
            let alpha = first.type == "VP8L" && b[first.data].count > 4 && (b[first.data.lowerBound + 4] & 0x10) != 0
            header = [alpha ? 0x10 : 0, 0, 0, 0]
            for v in [size.width - 1, size.height - 1] { header += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF)] }
        }
        header[0] |= 0x04  // XMP present
        var body: [UInt8] = Array("WEBP".utf8)
        appendChunk(&body, "VP8X", header)
        for chunk in chunks where chunk.type != "XMP " { body += b[chunk.start..<chunk.end] }
        appendChunk(&body, "XMP ", packet)
        var out = Array("RIFF".utf8)
        appendLE32(&out, UInt32(body.count))
        return out + body
    }

    private static func appendChunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        out += Array(type.utf8)
        appendLE32(&out, UInt32(data.count))
        out += data
        if data.count % 2 == 1 { out.append(0) }
    }

    struct RIFFChunks: Sequence, IteratorProtocol {
        struct Chunk { var type: String; var start: Int; var data: Range<Int>; var end: Int }
        let bytes: [UInt8]
        var offset = 12
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        mutating func next() -> Chunk? {
            guard offset + 8 <= bytes.count else { return nil }
            let length = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            guard length <= bytes.count - offset - 8 else { return nil }
            let end = Swift.min(bytes.count, offset + 8 + length + (length % 2))
            let chunk = Chunk(type: String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self), start: offset,
                              data: (offset + 8)..<(offset + 8 + length), end: end)
            offset = end
            return chunk
        }
    }

    private static func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static func appendLE32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}
