import ImagePipeCore
/// Collects every problem found, so that the user sees all of them at once, sorted by place.
public final class Diagnostics: @unchecked Sendable {
    public private(set) var all: [Diagnostic] = []
    private var seen: Set<Diagnostic> = []
    /// `--strict`: warnings that would stop `run` (a missing environment variable) become errors.
    public let strict: Bool
    /// Caps what one bad file can produce (a ragged 1,000,000-row CSV); the count stays exact.
    public let limit: Int
    public private(set) var droppedCount = 0

    public init(strict: Bool = false, limit: Int = 200) {
        self.strict = strict
        self.limit = limit
    }

    public var hasErrors: Bool { all.contains { $0.severity == .error } || droppedErrors > 0 }
    public var errorCount: Int { all.filter { $0.severity == .error }.count + droppedErrors }
    public var warningCount: Int { all.filter { $0.severity == .warning }.count }
    private var droppedErrors = 0

    public func error(_ message: String, at location: SourceLocation, hint: String? = nil) {
        add(Diagnostic(.error, at: location, message, hint: hint))
    }

    public func warning(_ message: String, at location: SourceLocation, hint: String? = nil) {
        add(Diagnostic(.warning, at: location, message, hint: hint))
    }

    /// A warning that `--strict` (and `run`) treat as an error.
    public func strictWarning(_ message: String, at location: SourceLocation, hint: String? = nil) {
        add(Diagnostic(strict ? .error : .warning, at: location, message, hint: hint))
    }

    public func add(_ diagnostic: Diagnostic) {
        guard !seen.contains(diagnostic) else { return }
        guard all.count < limit else {
            droppedCount += 1
            if diagnostic.severity == .error { droppedErrors += 1 }
            return
        }
        seen.insert(diagnostic)
        all.append(diagnostic)
    }

    public func sorted() -> [Diagnostic] {
        all.enumerated().sorted { a, b in
            if a.element.location != b.element.location { return a.element.location < b.element.location }
            return a.offset < b.offset
        }.map(\.element)
    }
}
