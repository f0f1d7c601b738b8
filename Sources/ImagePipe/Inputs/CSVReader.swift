/// A streaming RFC 4180 CSV reader: quoted fields with embedded commas, quotes (`""`) and
/// newlines, CRLF or LF line ends, a UTF-8 byte order mark. It is strict, because a silently
/// misread catalogue row becomes a wrong, paid image: a stray quote, text after a closing quote,
/// an unterminated quote or invalid UTF-8 is an error at its line.
public final class CSVReader {
    public struct Row {
        public var values: [String]
        /// The line the record starts on (records with quoted newlines span several).
        public var line: Int
    }

    private let stream: ByteStream
    private var line = 1
    private var field: [UInt8] = []

    public init?(path: String) {
        guard let stream = ByteStream(path: path) else { return nil }
        self.stream = stream
        field.reserveCapacity(256)
        // A UTF-8 byte order mark, as spreadsheet programs write it.
        _ = stream.skipPrefix([0xEF, 0xBB, 0xBF])
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func next() throws(DataFileError) -> Row? {
        while true {
            guard let first = stream.peek() else { return nil }
            if first == 0x0A { _ = stream.next(); line += 1; continue }
            if first == 0x0D {
                _ = stream.next()
                if stream.peek() == 0x0A { _ = stream.next() }
                line += 1
                continue
            }
            break
        }
        let startLine = line
        var values: [String] = []
        var column = 1
        while true {
            field.removeAll(keepingCapacity: true)
            let fieldLine = line
            let fieldColumn = column
            var ended = false
            if stream.peek() == 0x22 {
                _ = stream.next()
                column += 1
                quoted: while true {
                    guard let b = stream.next() else {
                        throw DataFileError(line: fieldLine, column: fieldColumn, "a quoted field is never closed",
                                            hint: "add the closing '\"'; a '\"' inside a field is written '\"\"'")
                    }
                    switch b {
                    case 0x22:
                        if stream.peek() == 0x22 {
                            _ = stream.next()
                            field.append(0x22)
                            column += 2
                        } else {
                            column += 1
                            break quoted
                        }
                    case 0x0A:
                        field.append(b)
                        line += 1
                        column = 1
                    default:
                        field.append(b)
                        column += 1
                    }
                }
                // After the closing quote: a separator, a line end or the end of the file.
                switch stream.peek() {
                case nil: ended = true
                case 0x2C?: _ = stream.next(); column += 1
                case 0x0A?: _ = stream.next(); line += 1; ended = true
                case 0x0D?:
                    _ = stream.next()
                    if stream.peek() == 0x0A { _ = stream.next() }
                    line += 1
                    ended = true
                default:
                    throw DataFileError(line: line, column: column, "text after the closing quote of a field",
                                        hint: "quote the whole field, and write a '\"' inside it as '\"\"'")
                }
            } else {
                unquoted: while true {
                    guard let b = stream.next() else { ended = true; break unquoted }
                    switch b {
                    case 0x2C: column += 1; break unquoted
                    case 0x0A: line += 1; ended = true; break unquoted
                    case 0x0D:
                        if stream.peek() == 0x0A { _ = stream.next() }
                        line += 1
                        ended = true
                        break unquoted
                    case 0x22:
                        throw DataFileError(line: line, column: column, "a '\"' inside an unquoted field",
                                            hint: "quote the whole field, and write a '\"' inside it as '\"\"'")
                    default:
                        field.append(b)
                        column += 1
                    }
                }
            }
            guard let text = String(validating: field, as: UTF8.self) else {
                throw DataFileError(line: fieldLine, column: fieldColumn, "field \(values.count + 1) is not valid UTF-8", hint: "save the file as UTF-8")
            }
            values.append(text)
            if ended { return Row(values: values, line: startLine) }
        }
    }
}
