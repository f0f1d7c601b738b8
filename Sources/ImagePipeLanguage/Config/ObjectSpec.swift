import ImagePipeCore
/// The declaration of one configuration object (a stage kind, a provider, the retry policy…).
/// A class so that declarations can refer to each other without copying.
public final class ObjectSpec: Sendable {
    /// A key whose value selects extra fields, like a provider's `kind`.
    public struct Variant: Sendable {
        public var value: String
        public var doc: String
        public var fields: [FieldSpec]

        public init(_ value: String, doc: String, fields: [FieldSpec] = []) {
            self.value = value
            self.doc = doc
            self.fields = fields
        }
    }

    public struct Discriminator: Sendable {
        public var field: String
        public var variants: [Variant]
    }

    /// Used in `$defs` of the schema and as a heading in the docs.
    public let schemaName: String
    public let doc: String
    public let fields: [FieldSpec]
    /// Groups of keys of which exactly one must be present (`template` or `prompt`).
    public let exactlyOne: [[String]]
    /// Groups of keys of which at most one may be present (`size` or `aspect_ratio`).
    public let atMostOne: [[String]]
    public let discriminator: Discriminator?
    /// Accepts `x-…` keys (docker-compose style), a place for YAML anchors to live.
    public let allowsExtensionKeys: Bool

    public init(_ schemaName: String, doc: String, fields: [FieldSpec], exactlyOne: [[String]] = [], atMostOne: [[String]] = [],
                discriminator: Discriminator? = nil, allowsExtensionKeys: Bool = false) {
        self.schemaName = schemaName
        self.doc = doc
        self.fields = fields
        self.exactlyOne = exactlyOne
        self.atMostOne = atMostOne
        self.discriminator = discriminator
        self.allowsExtensionKeys = allowsExtensionKeys
    }

    public func field(_ name: String) -> FieldSpec? {
        if let field = fields.first(where: { $0.name == name }) { return field }
        return discriminator?.variants.lazy.compactMap { $0.fields.first { $0.name == name } }.first
    }

    /// Every key this object can ever hold, for did-you-mean.
    package var allFieldNames: [String] {
        fields.map(\.name) + (discriminator?.variants.flatMap { $0.fields.map(\.name) } ?? [])
    }
}
