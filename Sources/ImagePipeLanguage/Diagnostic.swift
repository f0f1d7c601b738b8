import ImagePipeCore
/// One problem found in a pipeline or its data, always tied to a place the user can open.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable, Comparable {
        case error, warning

        public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// How to fix it, where a fix can be named ("did you mean 'model'?").
    public var hint: String?

    public init(_ severity: Severity, at location: SourceLocation, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `FILE:LINE:COLUMN: error: MESSAGE; HINT` — the form compilers use, which editors and CI
    /// logs turn into links.
    public var formatted: String {
        "\(location.file):\(location.line):\(location.column): \(severity.rawValue): \(fullMessage)"
    }

    public var fullMessage: String {
        hint.map { "\(message); \($0)" } ?? message
    }
}
