import ImagePipeCore
import ImagePipeLanguage
import Foundation

/// Streams a source's items in order, each with the line it came from, in constant memory.
public final class RecordStream {
    public enum Location {
        /// A data file, as shown in diagnostics.
        case file(String)
        /// Inline items in the pipeline file.
        case pipeline
    }

    private enum Backend {
        case csv(CSVReader, CSVHeader)
        case jsonl(JSONLReader)
        case items([ConfigNode])
    }

    private let backend: Backend
    public let displayPath: String
    public private(set) var header: CSVHeader?

    /// Opens a source. Throws a diagnostic-ready error when the file is missing or its header is bad.
    public init(source: SourceSpec, files: PipelineFiles) throws(SourceOpenError) {
        switch source.kind {
        case .csv(let path):
            displayPath = files.display(path.value)
            guard let reader = CSVReader(path: files.resolve(path.value), delimiter: source.delimiter) else {
                throw SourceOpenError(at: path.location, "no such file '\(displayPath)'", hint: "paths are relative to the pipeline file")
            }
            let row: CSVReader.Row?
            do {
                row = try reader.next()
            } catch {
                throw SourceOpenError(at: SourceLocation(file: displayPath, line: error.line, column: error.column), error.message, hint: error.hint)
            }
            guard let row else {
                throw SourceOpenError(at: SourceLocation(file: displayPath, line: 1, column: 1), "the CSV file is empty",
                                      hint: "the first line names the columns, e.g. sku,name,color")
            }
            if row.values.count == 1, let guess = Self.otherDelimiter(in: row.values[0], than: source.delimiter) {
                // One column named "sku;name;color": every template field would be unknown.
                throw SourceOpenError(at: SourceLocation(file: displayPath, line: row.line, column: 1),
                                      "the header '\(row.values[0].prefix(60))' reads as one column: the file looks separated by '\(guess.shown)', not '\(Character(UnicodeScalar(source.delimiter)))'",
                                      hint: "add 'delimiter: \(guess.name)' to source '\(source.name)'")
            }
            var seen: [String: Int] = [:]
            for (n, name) in row.values.enumerated() {
                let at = SourceLocation(file: displayPath, line: row.line, column: 1)
                if name.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw SourceOpenError(at: at, "column \(n + 1) of the header has no name", hint: "every column needs a name")
                }
                if let first = seen[name] {
                    throw SourceOpenError(at: at, "column name '\(name)' appears twice in the header (columns \(first + 1) and \(n + 1))",
                                          hint: "rename one of them")
                }
                seen[name] = n
            }
            let header = CSVHeader(names: row.values)
            self.header = header
            backend = .csv(reader, header)
        case .jsonl(let path):
            displayPath = files.display(path.value)
            guard let reader = JSONLReader(path: files.resolve(path.value)) else {
                throw SourceOpenError(at: path.location, "no such file '\(displayPath)'", hint: "paths are relative to the pipeline file")
            }
            backend = .jsonl(reader)
        case .items(let items):
            displayPath = files.displayPipeline
            backend = .items(items)
        }
    }

    /// The next item and its location, or nil at the end.
    public func next() throws(DataFileError) -> (record: Record, location: SourceLocation)? {
        switch backend {
        case .csv(let reader, let header):
            guard let row = try reader.next() else { return nil }
            guard row.values.count == header.names.count else {
                throw DataFileError(line: row.line, "this row has \(row.values.count) field\(row.values.count == 1 ? "" : "s"), the header has \(header.names.count)",
                                    hint: "quote fields that contain commas", rest: .rowSkipped)
            }
            return (.row(header, row.values), SourceLocation(file: displayPath, line: row.line, column: 1))
        case .jsonl(let reader):
            guard let row = try reader.next() else { return nil }
            return (.object(row.object), SourceLocation(file: displayPath, line: row.line, column: 1))
        case .items(let items):
            guard itemIndex < items.count else { return nil }
            let node = items[itemIndex]
            itemIndex += 1
            guard case .map(let pairs) = node.value else { return nil }
            return (.object(pairs.map { ($0.key.value, $0.value.json) }), node.location)
        }
    }

    private var itemIndex = 0

    /// A separator that splits a one-column header into several names, if one does.
    static func otherDelimiter(in header: String, than used: UInt8) -> (name: String, shown: String)? {
        let candidates: [(String, String, Character)] = [("\";\"", ";", ";"), ("tab", "a tab", "\t"), ("\"|\"", "|", "|"), ("\",\"", ",", ",")]
        for (name, shown, character) in candidates where character.asciiValue != used {
            if header.split(separator: character).count > 1 { return (name, shown) }
        }
        return nil
    }

    /// The fields templates can rely on without reading the whole file: the CSV header, the keys
    /// of the first JSON Lines objects, the keys of inline items.
    public static func fieldNames(of source: SourceSpec, files: PipelineFiles, sampleSize: Int = 100) throws(SourceOpenError) -> [String] {
        let stream = try RecordStream(source: source, files: files)
        if let header = stream.header { return header.names }
        var names: [String] = []
        var seen = Set<String>()
        var count = 0
        var isInline = false
        if case .items = source.kind { isInline = true }
        while isInline || count < sampleSize {
            let item: (record: Record, location: SourceLocation)?
            do {
                item = try stream.next()
            } catch {
                throw SourceOpenError(at: SourceLocation(file: stream.displayPath, line: error.line, column: error.column), error.message, hint: error.hint)
            }
            guard let item else { break }
            if case .object(let pairs) = item.record {
                for (name, _) in pairs where seen.insert(name).inserted { names.append(name) }
            }
            count += 1
        }
        return names
    }
}

public struct SourceOpenError: Error {
    public var location: SourceLocation
    public var message: String
    public var hint: String?

    package init(at location: SourceLocation, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
    }
}
