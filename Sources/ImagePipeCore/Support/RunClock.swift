/// Time as the engine sees it: the machine's in a run, virtual in tests, so that rate limits,
/// retry waits, the grace period and notification backoff are tested without waiting for real
/// time (and without flaking on a busy machine).
public protocol RunClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Returns at `deadline`, or throws when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension RunClock {
    package func sleep(for seconds: Double) async throws {
        try await sleep(until: now.advanced(by: .seconds(seconds)))
    }
}

/// The machine's monotonic clock.
public struct SystemClock: RunClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, tolerance: .zero, clock: .continuous)
    }
}
