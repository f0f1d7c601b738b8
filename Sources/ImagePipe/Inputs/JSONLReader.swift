/// A streaming JSON Lines reader: one JSON object per line; blank lines are skipped.
public final class JSONLReader {
    public struct Row {
        public var object: [(String, JSONValue)]
        public var line: Int
    }

    private let stream: ByteStream
    private var line = 0
    private var bytes: [UInt8] = []
    public static let maximumLineBytes = 16 << 20

    public init?(path: String) {
        guard let stream = ByteStream(path: path) else { return nil }
        self.stream = stream
    }

    public func next() throws(DataFileError) -> Row? {
        while true {
            bytes.removeAll(keepingCapacity: true)
            guard stream.peek() != nil else { return nil }
            line += 1
            while let b = stream.next(), b != 0x0A {
                bytes.append(b)
                if bytes.count > Self.maximumLineBytes {
                    throw DataFileError(line: line, "the line is longer than \(Self.maximumLineBytes) bytes")
                }
            }
            if bytes.last == 0x0D { bytes.removeLast() }
            if line == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
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
