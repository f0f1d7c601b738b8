import ImagePipeCore
/// One key of a configuration object: its name, type, whether it is required, its default and
/// its documentation.
public struct FieldSpec: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    /// The default, as it appears in docs and the JSON Schema.
    public var defaultValue: JSONValue?
    public var doc: String

    public init(_ name: String, _ type: FieldType, required: Bool = false, default defaultValue: JSONValue? = nil, doc: String) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.doc = doc
    }
}
