import Foundation

/// The run's parked units: counted while their batches run, handed back one by one as each batch
/// ends, and closed once the sources are read and no unit is parked or running again.
///
/// Woken units run a window at a time (their images are decoded then), under the lot's own
/// permits, never the run's admission: items waiting for the budget hold admission, and the
/// reservations they wait for belong to parked units. A woken unit gives its permit back as soon
/// as it waits for anything (a retry's backoff, the budget), so a wait never holds up the rest.
final class ParkingLot: @unchecked Sendable {
    /// A woken unit's place in the window, given back once (by whichever comes first: a wait, or the end).
    final class Permit: @unchecked Sendable {
        private let lock = NSLock()
        private var window: AsyncSemaphore?
        private let given: @Sendable () -> Void

        init(_ window: AsyncSemaphore, given: @escaping @Sendable () -> Void) {
            self.window = window
            self.given = given
        }

        func release() {
            let held: AsyncSemaphore? = lock.withLock {
                defer { window = nil }
                return window
            }
            guard let held else { return }
            held.release()
            given()
        }
    }

    /// The permit of the woken unit this task runs (and its stages below), if any.
    @TaskLocal static var permit: Permit?

    /// Gives the current task's permit back before it waits.
    static func stepAside() { permit?.release() }

    private let lock = NSLock()
    private var outstanding = 0
    private var sourcesDone = false
    /// Woken units not yet taken into the window (and sources being read again to wake more), and
    /// when the last one was taken.
    private var backlog = 0
    private var readers = 0
    /// Woken units running in the window: until one waits or ends, it may still send a line again.
    private var running = 0
    private var lastTaken = ContinuousClock.now
    private let window: AsyncSemaphore
    /// Places in the queue for units made again from their rows.
    private let room: AsyncSemaphore
    private let stream: AsyncStream<WokenUnit>
    private let continuation: AsyncStream<WokenUnit>.Continuation

    init(window: Int) {
        self.window = AsyncSemaphore(permits: max(1, window))
        room = AsyncSemaphore(permits: max(64, 2 * window))
        (stream, continuation) = AsyncStream.makeStream(of: WokenUnit.self)
    }

    /// A unit leaves its task to wait in a batch.
    func park() { lock.withLock { outstanding += 1 } }

    /// Its batch ended: the unit runs again (it stays outstanding until it is done).
    func wake(_ woken: WokenUnit) {
        lock.withLock { backlog += 1 }
        continuation.yield(woken)
    }

    /// Wakes a unit made again from its row once the queue has room: a batch's units are read
    /// from their source faster than they run, and each woken one holds its item's fields.
    func wakeWhenRoom(_ woken: WokenUnit) async {
        try? await room.acquire()
        var holding = woken
        holding.holdsRoom = true
        wake(holding)
    }

    /// Whether woken units are still being taken in or running in the window (or were taken
    /// within `quiet`): the lines they send again (failed, expired) are still coming, and belong
    /// in one batch. A unit that waits (a backoff, the budget, a batch) has left the window.
    func stillWaking(within quiet: Duration) -> Bool {
        lock.withLock { backlog > 0 || readers > 0 || running > 0 || ContinuousClock.now - lastTaken < quiet }
    }

    /// A source is being read again to wake a batch's detached units (or is done).
    func reading(_ on: Bool) { lock.withLock { readers += on ? 1 : -1 } }

    /// A parked unit that never left (its line was refused at once) is done.
    func done() { settle { $0.outstanding -= 1 } }

    /// Every source has been read: the lot closes when its last unit is done.
    func sourcesEnded() { settle { $0.sourcesDone = true } }

    /// Runs `resume` for every woken unit until the lot closes. Not a child of the run's task: a
    /// run cancelled after its grace period still records each unit its batches hand back (as
    /// stopped, for the next run to collect) instead of dropping it.
    func serve(_ resume: @escaping @Sendable (WokenUnit) async -> Void) async {
        let window = window
        let stream = stream
        await Task {
            await withDiscardingTaskGroup { group in
                for await woken in stream {
                    try? await window.acquire()
                    if woken.holdsRoom { self.room.release() }
                    self.lock.withLock {
                        self.backlog -= 1
                        self.running += 1
                        self.lastTaken = ContinuousClock.now
                    }
                    let permit = Permit(window) { self.lock.withLock { self.running -= 1 } }
                    group.addTask {
                        await ParkingLot.$permit.withValue(permit) { await resume(woken) }
                        permit.release()
                        self.done()
                    }
                }
            }
        }.value
    }

    private func settle(_ change: (ParkingLot) -> Void) {
        let close: Bool = lock.withLock {
            change(self)
            return sourcesDone && outstanding == 0
        }
        if close { continuation.finish() }
    }
}
