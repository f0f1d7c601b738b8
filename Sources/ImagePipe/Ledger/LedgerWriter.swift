import Foundation

/// Group commit: callers hand over an entry and wait until it is committed; whatever arrived
/// while one transaction was being written goes into the next. A finished image is therefore
/// in the ledger before the engine moves on, and the ledger never limits throughput.
final class LedgerWriter: @unchecked Sendable {
    private let ledger: any LedgerStore
    private let runID: Int64
    private let lock = NSLock()
    private var pending: [(LedgerWrite, CheckedContinuation<(any Error)?, Never>)] = []
    private var writing = false
    private let queue = DispatchQueue(label: "imagepipe.ledger")
    private var failure: String?
    /// Told once if the ledger cannot be written (a full disk): the run goes on, the manifest
    /// and the files still hold the work.
    var onFailure: (@Sendable (String) -> Void)?
    /// Told when the failure is the disk's (full, read-only, I/O errors): the run stops new work.
    var onFault: (@Sendable (LocalFault) -> Void)?

    init(ledger: any LedgerStore, runID: Int64) {
        self.ledger = ledger
        self.runID = runID
    }

    func record(_ entry: LedgerEntry) async { await write(.entry(entry)) }

    /// Returns once the job is committed: a crash after this re-attaches to it.
    func submitted(_ job: LedgerWrite.Job) async { await write(.jobSubmitted(job)) }

    func jobEnded(stage: String, item: String, fingerprint: String) async { await write(.jobEnded(stage: stage, item: item, fingerprint: fingerprint)) }

    /// Returns once committed, or with what kept it out: a batch is created only after its intent
    /// is in the ledger.
    @discardableResult
    func batch(_ change: LedgerWrite) async -> (any Error)? { await write(change) }

    /// The fault of the machine behind a write's failure (a full disk), if it is one.
    func localFault(_ error: any Error) -> LocalFault? { ledger.localFault(error) }

    @discardableResult
    private func write(_ entry: LedgerWrite) async -> (any Error)? {
        await withCheckedContinuation { (continuation: CheckedContinuation<(any Error)?, Never>) in
            let start: Bool = lock.withLock {
                pending.append((entry, continuation))
                if writing { return false }
                writing = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let taken: [(LedgerWrite, CheckedContinuation<(any Error)?, Never>)] = lock.withLock {
                let taken = pending
                pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { writing = false }
                return taken
            }
            if taken.isEmpty { return }
            for group in Self.groups(taken) { commit(group) }
        }
    }

    /// In order, with each batch intent in a transaction of its own: an intent that cannot be
    /// written (its members file unreadable) keeps out only its own batch, never other units'
    /// results, and its sender learns that it failed.
    private static func groups<T>(_ writes: [(LedgerWrite, T)]) -> [ArraySlice<(LedgerWrite, T)>] {
        var groups: [ArraySlice<(LedgerWrite, T)>] = []
        var start = writes.startIndex
        for index in writes.indices {
            guard case .batchIntent = writes[index].0 else { continue }
            if start < index { groups.append(writes[start..<index]) }
            groups.append(writes[index...index])
            start = index + 1
        }
        if start < writes.endIndex { groups.append(writes[start...]) }
        return groups
    }

    private func commit(_ group: ArraySlice<(LedgerWrite, CheckedContinuation<(any Error)?, Never>)>) {
        var failed: (any Error)?
        do {
            try ledger.write(group.map(\.0), runID: runID)
        } catch let error as LedgerWrite.BatchItems.Unreadable {
            // The batch's members, not the ledger: its sender hears it, and the ledger takes what comes next.
            failed = error
        } catch {
            failed = error
            let first = lock.withLock { () -> Bool in
                defer { failure = "\(error)" }
                return failure == nil
            }
            if first { onFailure?("cannot write to the ledger \(ledger.path): \(error); finished work is still in the files and the manifest, but a re-run will not know it") }
            if let fault = ledger.localFault(error) { onFault?(fault) }
        }
        for (_, continuation) in group { continuation.resume(returning: failed) }
    }
}

extension LedgerWriter: RunEventConsumer {
    func handle(_ event: RunEvent) async {
        if case .recorded(let entry) = event { await record(entry) }
    }
}
