import Foundation
import ImagePipeCore
/// Collects every problem found, so that the user sees all of them at once, sorted by place.
/// Shared by the checks of one file; the lock guards the lists.
public final class Diagnostics: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Diagnostic] = []
    private var seen: Set<Diagnostic> = []
    public var all: [Diagnostic] { lock.withLock { list } }
    /// `--strict`: warnings that would stop `run` (a missing environment variable) become errors.
    public let strict: Bool
    /// Caps what one bad file can produce (a ragged 1,000,000-row CSV); the count stays exact.
    public let limit: Int
    private var dropped = 0
    public var droppedCount: Int { lock.withLock { dropped } }

    public init(strict: Bool = false, limit: Int = 200) {
        self.strict = strict
        self.limit = limit
    }

    public var hasErrors: Bool { lock.withLock { list.contains { $0.severity == .error } || droppedErrors > 0 } }
    public var errorCount: Int { lock.withLock { list.filter { $0.severity == .error }.count + droppedErrors } }
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
        lock.withLock {
            guard !seen.contains(diagnostic) else { return }
            guard list.count < limit else {
                dropped += 1
                if diagnostic.severity == .error { droppedErrors += 1 }
                return
            }
            seen.insert(diagnostic)
            list.append(diagnostic)
        }
    }

    public func sorted() -> [Diagnostic] {
        all.enumerated().sorted { a, b in
            if a.element.location != b.element.location { return a.element.location < b.element.location }
            return a.offset < b.offset
        }.map(\.element)
    }
}
