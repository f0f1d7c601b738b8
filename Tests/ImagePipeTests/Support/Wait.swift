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

    /// As `until`, then `act`, both on a thread of their own: for an act that must follow the
    /// condition closely (a signal while calls are in flight), which a task on the test's
    /// cooperative pool, starved by the other suites on a loaded machine, may do seconds late.
    @discardableResult
    static func onThread(until what: String, timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation,
                         _ condition: @escaping @Sendable () -> Bool, then act: @escaping @Sendable () -> Void) async -> Bool {
        let held = await OffPool.run { () -> Bool in
            let deadline = ContinuousClock.now + .seconds(timeout)
            while !condition() {
                guard ContinuousClock.now < deadline else { return false }
                usleep(5_000)
            }
            act()
            return true
        }
        if !held { Issue.record("timed out after \(timeout) s waiting until \(what)", sourceLocation: sourceLocation) }
        return held
    }
}
