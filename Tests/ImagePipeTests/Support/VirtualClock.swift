import Foundation
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Virtual time for tests. `sleep` returns at once and moves the clock to the deadline (never
/// back), so a run that waits minutes in real time finishes in milliseconds, and what it waited
/// for can be read afterwards. `set(_:)` moves time by hand for step-by-step simulations.
final class VirtualClock: RunClock, @unchecked Sendable {
    private let lock = NSLock()
    let start = ContinuousClock.now
    private var offset: Duration = .zero
    private var requested: [Duration] = []

    var now: ContinuousClock.Instant { lock.withLock { start + offset } }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        lock.withLock {
            requested.append(deadline - (start + offset))
            offset = max(offset, deadline - start)
        }
        await Task.yield()
    }

    /// Seconds of virtual time since the clock was made.
    var elapsed: Double { lock.withLock { offset.inSeconds } }
    /// Every wait asked for, in seconds, in order.
    var sleeps: [Double] { lock.withLock { requested.map(\.inSeconds) } }

    func set(_ seconds: Double) { lock.withLock { offset = .seconds(seconds) } }
}
