import Foundation
import Testing

/// A bounded wait for something another task or process does: polls `condition` until it
/// holds, or records an issue naming `what` after `timeout` seconds (never hangs a test run).
enum Wait {
    @discardableResult
    static func until(_ what: String, timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation,
                      _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out after \(timeout) s waiting until \(what)", sourceLocation: sourceLocation)
                return false
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
