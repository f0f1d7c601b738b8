import ImagePipeCore
/// Where items come from.
public struct SourceSpec: Sendable {
    public enum Kind: Sendable {
        case csv(Located<String>)
        case jsonl(Located<String>)
        case items([ConfigNode])

        public var name: String {
            switch self {
            case .csv: return "csv"
            case .jsonl: return "jsonl"
            case .items: return "items"
            }
        }
    }

    public var name: String
    public var location: SourceLocation
    public var kind: Kind
    public var key: Located<String>?
    /// The CSV field separator: `,` unless `delimiter:` says `;`, `|` or `tab`.
    public var delimiter: UInt8 = UInt8(ascii: ",")

    public static let delimiters: [String: UInt8] = [",": UInt8(ascii: ","), ";": UInt8(ascii: ";"), "|": UInt8(ascii: "|"), "tab": 0x09]

    public static let declaration = ObjectSpec("Source", doc: "Where items come from: a CSV file, a JSON Lines file or an inline list. Each row or object is one item; its columns or keys are the fields templates use.", fields: [
        FieldSpec("csv", .path, doc: "A CSV file (RFC 4180, header row first, UTF-8), relative to the pipeline file."),
        FieldSpec("delimiter", .choice([",", ";", "|", "tab"]), default: .string(","), doc: "The CSV field separator: `;` for files from spreadsheets set up for European locales, `tab` for tab-separated files."),
        FieldSpec("jsonl", .path, doc: "A JSON Lines file (one JSON object per line), relative to the pipeline file."),
        FieldSpec("items", .list(.map(.json), minCount: 1), doc: "Items written inline, each a mapping of fields."),
        FieldSpec("key", .template, doc: "A template for each item's stable identity (for example `{{ sku }}`): output names, resume and de-duplication rest on it. Without it items are numbered by row, and reordering the data changes which item is which."),
    ], exactlyOne: [["csv", "jsonl", "items"]])

    package init?(name: String, object: ConfigObject) {
        self.name = name
        location = object.location
        key = object.string("key")
        if let text = object.string("delimiter")?.value, let byte = Self.delimiters[text] { delimiter = byte }
        if let path = object.string("csv") {
            kind = .csv(path)
        } else if let path = object.string("jsonl") {
            kind = .jsonl(path)
        } else if let items = object.list("items") {
            kind = .items(items)
        } else {
            return nil
        }
    }
}
