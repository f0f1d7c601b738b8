import Foundation

extension RunEngine {
    /// A batch line an earlier run sent for `place`, or, with many workers, one a worker whose
    /// lease ran out sent after this run read the ledger: waited for, never sent again.
    func leftBatchItem(_ place: JobPlace) -> BatchPlace? {
        cache.batchItem(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
            ?? reclaimed.withLock { $0[place.key] }?.done.batchItem(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
    }

    /// As `leftBatchItem`, for a job waiting in a provider's queue.
    func leftJob(_ place: JobPlace) -> RemoteJob? {
        cache.job(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
            ?? reclaimed.withLock { $0[place.key] }?.done.job(stage: place.stage, item: place.item, fingerprint: place.fingerprint)
    }
}
