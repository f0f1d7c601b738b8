/// A streaming JSON Lines reader: one JSON object per line; blank lines are skipped.
public final class JSONLReader {
    public struct Row {
        public var object: [(String, JSONValue)]
        public var line: Int
    }

    private let window: FileWindow
    private var line = 0
    public static let maximumLineBytes = 16 << 20

    public init?(path: String) {
        guard let window = FileWindow(path: path) else { return nil }
        self.window = window
        window.skipPrefix([0xEF, 0xBB, 0xBF])
    }

    public func next() throws(DataFileError) -> Row? {
        while true {
            var scanned = 0
            var lineEnd = -1
            while true {
                let from = window.start + scanned
                if let newline = window.bytes[from..<window.end].firstIndex(of: 0x0A) {
                    lineEnd = newline
                    break
                }
                scanned = window.end - window.start
                if scanned > Self.maximumLineBytes {
                    throw DataFileError(line: line + 1, "the line is longer than \(Self.maximumLineBytes) bytes")
                }
                if !window.fill() { break }
            }
            if lineEnd < 0, window.isEmpty { return nil }
            line += 1
            var bytes = window.bytes[window.start..<(lineEnd >= 0 ? lineEnd : window.end)]
            window.start = lineEnd >= 0 ? lineEnd + 1 : window.end
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes)
            } catch {
                throw DataFileError(line: line, column: error.column, "invalid JSON: \(error.message)")
            }
            guard case .object(let pairs) = value else {
                throw DataFileError(line: line, "each line must be a JSON object, like {\"sku\": \"A1\"}")
            }
            return Row(object: pairs, line: line)
        }
    }
}
