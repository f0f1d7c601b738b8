import Foundation

/// The run's parked units: counted while their batches run, handed back one by one as each batch
/// ends, and closed once the sources are read and no unit is parked or running again.
final class ParkingLot: @unchecked Sendable {
    private let lock = NSLock()
    private var outstanding = 0
    private var sourcesDone = false
    private let stream: AsyncStream<WokenUnit>
    private let continuation: AsyncStream<WokenUnit>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: WokenUnit.self)
    }

    /// A unit leaves its task to wait in a batch.
    func park() { lock.withLock { outstanding += 1 } }

    /// Its batch ended: the unit runs again (it stays outstanding until `done`).
    func wake(_ woken: WokenUnit) { continuation.yield(woken) }

    /// A parked unit has finished (or parked again, having counted itself first), or never parked.
    func done() { settle { $0.outstanding -= 1 } }

    /// Every source has been read: the lot closes when its last unit is done.
    func sourcesEnded() { settle { $0.sourcesDone = true } }

    /// Runs `resume` for every woken unit until the lot closes, each once `admit` lets it in (a
    /// task waiting for its turn would cost as much as the parked unit saved).
    func serve(admit: @escaping @Sendable () async -> Bool, release: @escaping @Sendable () -> Void,
               _ resume: @escaping @Sendable (WokenUnit) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for await woken in stream {
                let admitted = await admit()
                group.addTask {
                    await resume(woken)
                    if admitted { release() }
                    self.done()
                }
            }
        }
    }

    private func settle(_ change: (ParkingLot) -> Void) {
        let close: Bool = lock.withLock {
            change(self)
            return sourcesDone && outstanding == 0
        }
        if close { continuation.finish() }
    }
}
