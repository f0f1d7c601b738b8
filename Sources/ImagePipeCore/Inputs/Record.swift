/// One item's data: a CSV row (read through its header) or a JSON object.
public enum Record: TemplateFields {
    case row(CSVHeader, [String])
    case object([(String, JSONValue)])

    public func text(at path: [String]) -> String? { text(at: path[...]) }

    /// The text of a field path (`color`, or `dims.width` in a JSON object); nil when absent or null.
    public func text(at path: ArraySlice<String>) -> String? {
        guard let first = path.first else { return nil }
        switch self {
        case .row(let header, let values):
            guard path.count == 1, let index = header.position(of: first), index < values.count else { return nil }
            return values[index]
        case .object(let pairs):
            guard var value = pairs.first(where: { $0.0 == first })?.1 else { return nil }
            for part in path.dropFirst() {
                guard let inner = value[part] else { return nil }
                value = inner
            }
            return value.text
        }
    }
}

/// A CSV header: column names and their positions.
public final class CSVHeader {
    public let names: [String]
    public let index: [String: Int]

    public init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (n, name) in names.enumerated() where index[name] == nil { index[name] = n }
        self.index = index
    }

    /// The column of `name`. Catalogues have a handful of columns, where comparing names beats
    /// hashing one; wide files use the index.
    @inline(__always)
    public func position(of name: String) -> Int? {
        names.count <= 16 ? names.firstIndex(of: name) : index[name]
    }
}

extension JSONValue {
    /// How a value reads inside a template: strings as they are, numbers and booleans as JSON
    /// writes them, null as absent, arrays and objects as compact JSON.
    public var text: String? {
        switch self {
        case .null: return nil
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.format(d)
        case .array, .object: return serialized(pretty: false)
        }
    }
}
