/// A unit of a root stage parked with nothing of it kept but this: when its batch ends, its item
/// is read again from the source (the same row makes the same unit), so that a run holds no
/// item's fields while its batches run, however many items wait in them.
struct DetachedMember: Sendable {
    let customID: String
    let attempt: Int
    let reserved: Bool
    let failure: (failureClass: FailureClass, message: String?)?
    let retries: [(failureClass: FailureClass, message: String)]
    let expiredOnce: Bool
    /// When its line was handed in: the attempt's latency counts from here.
    let since: ContinuousClock.Instant
}
