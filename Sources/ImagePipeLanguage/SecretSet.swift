import ImagePipeCore
import Foundation

/// The values that came from the environment. Anything printed, logged or written passes
/// through `redact`, so an API key never reaches a terminal, a plan, a manifest or an error.
public final class SecretSet: @unchecked Sendable {
    /// Shorter values are left alone: redacting every "8" or "us" in the output would hide
    /// everything and protect nothing.
    public static let minimumLength = 4
    public static let mask = "***"

    private let lock = NSLock()
    private var values: Set<String> = []
    /// Longest first, so a secret containing another is masked whole; rebuilt on register.
    private var ordered: [String] = []

    public init() {}

    public func register(_ value: String) {
        guard value.count >= Self.minimumLength else { return }
        lock.withLock {
            if values.insert(value).inserted { ordered = values.sorted { $0.count > $1.count } }
        }
    }

    public var isEmpty: Bool { lock.withLock { values.isEmpty } }

    public func redact(_ text: String) -> String {
        let secrets = lock.withLock { ordered }
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }
}
