/// A streaming RFC 4180 CSV reader: quoted fields with embedded commas, quotes (`""`) and
/// newlines, CRLF or LF line ends, a UTF-8 byte order mark. It is strict, because a silently
/// misread catalogue row becomes a wrong, paid image: a stray quote, text after a closing quote,
/// an unterminated quote or invalid UTF-8 is an error at its line.
///
/// It first finds where a record ends (the first line end outside quotes), then splits that
/// record with a tight loop over its bytes; records are never copied byte by byte.
public final class CSVReader {
    public struct Row {
        public var values: [String]
        /// The line the record starts on (records with quoted newlines span several).
        public var line: Int
    }

    private let window: FileWindow
    /// The byte between fields: `,` by RFC 4180, `;` or tab where spreadsheets are set up so.
    private let delimiter: UInt8
    /// The line of the next unread byte.
    private var line = 1
    private var field: [UInt8] = []

    public init?(path: String, delimiter: UInt8 = UInt8(ascii: ",")) {
        guard let window = FileWindow(path: path) else { return nil }
        self.window = window
        self.delimiter = delimiter
        field.reserveCapacity(256)
        // A UTF-8 byte order mark, as spreadsheet programs write it.
        window.skipPrefix([0xEF, 0xBB, 0xBF])
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func next() throws(DataFileError) -> Row? {
        while true {
            switch try nextRecord() {
            case .row(let row): return row
            case .blank: continue
            case .end: return nil
            }
        }
    }

    private enum Scan {
        case row(Row)
        case blank
        case end
    }

    /// A record that spans more bytes than this is cut there, so a stray quote near the top of a
    /// large file cannot pull the whole file into memory: the split then reports the quote.
    public static let maximumRecordBytes = 16 << 20

    private func nextRecord() throws(DataFileError) -> Scan {
        // Find the record's end: the first LF outside quotes (or the end of the file).
        var scanned = 0
        var inQuotes = false
        var recordEnd = -1
        while true {
            let found: Int? = window.bytes.withUnsafeBufferPointer { buffer in
                var i = window.start + scanned
                let end = window.end
                while i < end {
                    let b = buffer[i]
                    if b == 0x22 { inQuotes.toggle() } else if b == 0x0A, !inQuotes { return i }
                    i += 1
                }
                return nil
            }
            if let found {
                recordEnd = found
                break
            }
            scanned = window.end - window.start
            if scanned > Self.maximumRecordBytes {
                recordEnd = window.start + Self.maximumRecordBytes
                break
            }
            if !window.fill() { break }
        }
        let start = window.start
        let stop = recordEnd >= 0 ? recordEnd : window.end
        if start == stop && recordEnd < 0 { return .end }
        let startLine = line
        let result: Result<[String]?, DataFileError> = window.bytes.withUnsafeBufferPointer { buffer in
            split(buffer, from: start, to: stop, atEOF: recordEnd < 0)
        }
        window.start = recordEnd >= 0 ? recordEnd + 1 : window.end
        switch result {
        case .failure(let error):
            throw error
        case .success(let values?):
            return .row(Row(values: values, line: startLine))
        case .success(nil):
            return .blank
        }
    }

    /// Splits one record (without its final LF) into fields, advancing `line` past it.
    /// Returns nil for a blank line.
    private func split(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to rawStop: Int, atEOF: Bool) -> Result<[String]?, DataFileError> {
        // Locals, not properties, in the loop: property access pays an exclusivity check per byte.
        let recordLine = line
        var field: [UInt8] = []
        swap(&field, &self.field)
        var linesInside = 0
        defer {
            line += 1 + linesInside
            swap(&field, &self.field)
        }
        var stop = rawStop
        if stop > start, buffer[stop - 1] == 0x0D { stop -= 1 }
        if stop == start { return .success(nil) }
        var values: [String] = []
        var i = start
        var lineStart = start
        var currentLine = recordLine
        func column(_ index: Int) -> Int { index - lineStart + 1 }
        while true {
            let fieldStart = i
            let fieldLine = currentLine
            let fieldColumn = column(i)
            let text: String?
            if i < stop, buffer[i] == 0x22 {
                field.removeAll(keepingCapacity: true)
                i += 1
                var closed = false
                while i < stop {
                    let b = buffer[i]
                    if b == 0x22 {
                        if i + 1 < stop, buffer[i + 1] == 0x22 {
                            field.append(0x22)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    if b == 0x0A {
                        currentLine += 1
                        lineStart = i + 1
                        linesInside += 1
                    }
                    field.append(b)
                    i += 1
                }
                guard closed else {
                    return .failure(DataFileError(line: fieldLine, column: fieldColumn, "a quoted field is never closed",
                                                  hint: "add the closing '\"'; a '\"' inside a field is written '\"\"'"))
                }
                if i < stop, buffer[i] != delimiter {
                    return .failure(DataFileError(line: currentLine, column: column(i), "text after the closing quote of a field",
                                                  hint: "quote the whole field, and write a '\"' inside it as '\"\"'"))
                }
                text = field.withUnsafeBufferPointer(Self.string)
            } else {
                while i < stop, buffer[i] != delimiter {
                    if buffer[i] == 0x22 {
                        return .failure(DataFileError(line: currentLine, column: column(i), "a '\"' inside an unquoted field",
                                                      hint: "quote the whole field, and write a '\"' inside it as '\"\"'"))
                    }
                    i += 1
                }
                text = Self.string(UnsafeBufferPointer(rebasing: buffer[fieldStart..<i]))
            }
            guard let text else {
                return .failure(DataFileError(line: fieldLine, column: fieldColumn, "field \(values.count + 1) is not valid UTF-8",
                                              hint: "save the file as UTF-8", rest: .rowSkipped))
            }
            values.append(text)
            if i >= stop { return .success(values) }
            i += 1 // the delimiter
            if i == stop { values.append(""); return .success(values) }
        }
    }

    /// Text of a field, or nil when it is not valid UTF-8. ASCII, the common case, skips validation.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }
}
