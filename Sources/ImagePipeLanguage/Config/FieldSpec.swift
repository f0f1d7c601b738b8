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
    /// Whether its values are masked in every output (keys, tokens, webhook URLs).
    public var secrecy: Secrecy

    /// What of a field's value is a secret. Values from the environment are secrets only here, in
    /// `${secret:NAME}`, or in a variable whose name says so (`…_KEY`, `…_TOKEN`): a CSV path or
    /// a CMS host from the environment prints as it is.
    public enum Secrecy: Sendable, Equatable {
        case plain
        /// The whole value, from the file or the environment.
        case secret
        /// A map of HTTP headers: the values of those that carry credentials (`Authorization`,
        /// `X-Api-Key`, `Cookie`…).
        case credentialHeaders
    }

    public init(_ name: String, _ type: FieldType, required: Bool = false, default defaultValue: JSONValue? = nil, secret secrecy: Secrecy = .plain,
                doc: String) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.secrecy = secrecy
        self.doc = doc
    }
}
