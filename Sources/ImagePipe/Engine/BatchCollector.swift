import Foundation

/// One stage's batches: units hand in their request lines and wait; lines are sent as one remote
/// batch when no new line has come for a moment or the batch is full (the provider's limits, or
/// `batch.max_requests` / `max_bytes`); each batch is recorded (intent, then id) before anything
/// waits on it, watched every `batch.poll_interval`, and its results handed back by custom id.
final class BatchCollector: @unchecked Sendable {
    enum Outcome: Sendable {
        case image(ProviderImage)
        case failed(CallFailure)
        /// The batch still runs and the run stops waiting (`--no-wait`, `batch.wait`).
        case pending(batchID: String)
        /// The run was interrupted while the batch ran.
        case stopped(batchID: String)
    }

    private struct Waiting {
        var customID: String
        var line: [UInt8]
        var place: JobPlace
    }

    /// How long without a new line before the lines gathered so far go out.
    static let quiet: Duration = .milliseconds(600)

    let provider: any BatchImageProvider
    let setting: BatchSetting
    let stage: String
    let providerName: String
    private let limits: BatchLimits
    private let control: RunControl
    private let writer: LedgerWriter?
    private let metadata: [(String, String)]
    private let timeout: Double
    private let cancelRemote: Bool
    /// When the run stops waiting for batches (`batch.wait` after the run's start); nil: never.
    private let deadline: ContinuousClock.Instant?

    private let lock = NSLock()
    private var gathered: [Waiting] = []
    private var gatheredBytes = 0
    private var lastLine = ContinuousClock.now
    private var flushing = false
    private var waiters: [String: CheckedContinuation<Outcome, Never>] = [:]
    /// Batches being watched, and results that came before their unit asked (a re-attach).
    private var watched = Set<String>()
    private var unclaimed: [String: Outcome] = [:]
    /// Units waiting on a batch an earlier run sent, by batch id.
    private var attached: [String: Set<String>] = [:]
    private var created = 0
    private var lines = 0

    init(provider: any BatchImageProvider, setting: BatchSetting, stage: String, providerName: String, control: RunControl, writer: LedgerWriter?,
         metadata: [(String, String)], timeout: Double, cancelRemote: Bool, wait: Double?) {
        self.provider = provider
        self.setting = setting
        self.stage = stage
        self.providerName = providerName
        let own = provider.batchLimits
        limits = BatchLimits(maxRequests: min(setting.maxRequests ?? own.maxRequests, own.maxRequests),
                             maxBytes: min(setting.maxBytes ?? own.maxBytes, own.maxBytes))
        self.control = control
        self.writer = writer
        self.metadata = metadata
        self.timeout = timeout
        self.cancelRemote = cancelRemote
        deadline = wait.map { control.clock.now + .seconds($0) }
    }

    /// Lines of earlier runs' batches this run has waited for: a regeneration sends anew.
    private var claimed = Set<String>()
    func claimLeftOver(_ customID: String) -> Bool { lock.withLock { claimed.insert(customID).inserted } }

    /// Batches created and lines sent by this run.
    var counts: (batches: Int, lines: Int) { lock.withLock { (created, lines) } }

    /// Sends `line` in the next batch and waits for its result.
    func submit(customID: String, line: [UInt8], place: JobPlace) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let startFlusher: Bool = lock.withLock {
                waiters[customID] = continuation
                gathered.append(Waiting(customID: customID, line: line, place: place))
                gatheredBytes += line.count + 1
                lastLine = ContinuousClock.now
                defer { flushing = true }
                return !flushing
            }
            if startFlusher { Task { await self.flushWhenQuiet() } }
        }
    }

    /// Waits for the result of a line an earlier run sent.
    func attach(_ place: BatchPlace) async -> Outcome {
        var batchID = place.batchID
        if batchID == nil {
            // The run stopped between recording the intent and the batch's id: look it up by chunk.
            do throws(CallFailure) {
                guard let found = try await provider.findBatch(chunk: place.chunk, timeout: timeout) else {
                    return .failed(CallFailure(.server_error, "the batch of chunk \(place.chunk) was never created (the run stopped first); sent again"))
                }
                await writer?.batch(.batchCreated(chunk: place.chunk, batchID: found.id))
                batchID = found.id
            } catch {
                return .failed(error)
            }
        }
        let batch = RemoteBatch(id: batchID!, chunk: place.chunk)
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let (ready, watch): (Outcome?, Bool) = lock.withLock {
                if let outcome = unclaimed.removeValue(forKey: place.customID) { return (outcome, false) }
                waiters[place.customID] = continuation
                attached[batch.id, default: []].insert(place.customID)
                return (nil, watched.insert(batch.id).inserted)
            }
            if let ready { return continuation.resume(returning: ready) }
            if watch { Task { await self.watch(batch, customIDs: nil) } }
        }
    }

    /// Sends what has gathered once no line has come for `quiet`, full batches at once.
    private func flushWhenQuiet() async {
        while true {
            let chunk: [Waiting]? = lock.withLock {
                let full = gathered.count >= limits.maxRequests || gatheredBytes >= limits.maxBytes
                guard full || ContinuousClock.now - lastLine >= Self.quiet else { return nil }
                return takeChunk()
            }
            if let chunk {
                if !chunk.isEmpty { Task { await self.send(chunk) } }
                let done = lock.withLock { () -> Bool in
                    if gathered.isEmpty { flushing = false }
                    return gathered.isEmpty
                }
                if done { return }
                continue
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The oldest lines that fit one batch.
    private func takeChunk() -> [Waiting] {
        var count = 0
        var bytes = 0
        for entry in gathered {
            guard count < limits.maxRequests, bytes + entry.line.count + 1 <= limits.maxBytes || count == 0 else { break }
            count += 1
            bytes += entry.line.count + 1
        }
        let chunk = Array(gathered.prefix(count))
        gathered.removeFirst(count)
        gatheredBytes -= bytes
        return chunk
    }

    /// Records the intent, creates the batch (or finds it, when the create's answer was lost),
    /// records its id, and watches it.
    private func send(_ chunk: [Waiting]) async {
        guard !control.isHalted else {
            return resume(chunk.map(\.customID)) { _ in .failed(CallFailure(.cancelled, "the run stopped before its batch was sent")) }
        }
        let name = UUID().uuidString.lowercased()
        let items = chunk.map { LedgerWrite.BatchItem(stage: $0.place.stage, item: $0.place.item, fingerprint: $0.place.fingerprint, key: $0.place.key,
                                                      customID: $0.customID) }
        await writer?.batch(.batchIntent(chunk: name, provider: providerName, stage: stage, items: items))
        var body: [UInt8] = []
        body.reserveCapacity(chunk.reduce(0) { $0 + $1.line.count + 1 })
        for entry in chunk {
            body += entry.line
            body.append(UInt8(ascii: "\n"))
        }
        var batch: RemoteBatch?
        var problem: CallFailure?
        do throws(CallFailure) {
            batch = try await provider.createBatch(lines: body, chunk: name, metadata: metadata, timeout: max(timeout, 120))
        } catch {
            problem = error
            if [.timeout, .network, .server_error].contains(error.failureClass) {
                // The batch may exist although its answer was lost: never create it twice.
                batch = try? await provider.findBatch(chunk: name, timeout: timeout)
            }
        }
        guard let batch else {
            await writer?.batch(.batchAbandoned(chunk: name))
            let failure = problem ?? CallFailure(.server_error, "the batch was not created")
            resume(chunk.map(\.customID)) { _ in .failed(failure) }
            return
        }
        await writer?.batch(.batchCreated(chunk: name, batchID: batch.id))
        lock.withLock {
            created += 1
            lines += chunk.count
            watched.insert(batch.id)
        }
        await watch(batch, customIDs: chunk.map(\.customID))
    }

    /// Looks at `batch` every `poll_interval` until it ends, the run stops, or `batch.wait` passes;
    /// then hands each line's result to its unit. `customIDs` nil: whoever attached.
    private func watch(_ batch: RemoteBatch, customIDs: [String]?) async {
        while true {
            if let deadline, control.clock.now >= deadline {
                return resume(customIDs, batch: batch) { _ in .pending(batchID: batch.id) }
            }
            let state: BatchState
            do throws(CallFailure) {
                state = try await provider.batchState(batch, timeout: timeout)
            } catch {
                if error.failureClass == .auth { return resume(customIDs, batch: batch) { _ in .failed(error) } }
                guard await nap(until: nextLook(), batch: batch, customIDs: customIDs) else { return }
                continue
            }
            switch state {
            case .running:
                guard await nap(until: nextLook(), batch: batch, customIDs: customIDs) else { return }
            case .failed(let why):
                return resume(customIDs, batch: batch) { _ in .failed(CallFailure(.bad_request, why)) }
            case .ended(_, let reason):
                let results: [String: BatchLineResult]
                do throws(CallFailure) {
                    results = try await provider.batchResults(batch, timeout: max(timeout, 300))
                } catch {
                    guard await nap(until: nextLook(), batch: batch, customIDs: customIDs) else { return }
                    continue
                }
                return finish(batch, results: results, reason: reason, customIDs: customIDs)
            }
        }
    }

    private func nextLook() -> ContinuousClock.Instant {
        let next = control.clock.now + .seconds(setting.pollInterval)
        return deadline.map { min($0, next) } ?? next
    }

    /// Sleeps until `until`; false (having told the batch's units) when the run stopped meanwhile.
    private func nap(until: ContinuousClock.Instant, batch: RemoteBatch, customIDs: [String]?) async -> Bool {
        do {
            try await control.sleep(until: until)
            return true
        } catch {
            if cancelRemote { await provider.cancelBatch(batch, timeout: min(timeout, 10)) }
            resume(customIDs, batch: batch) { _ in .stopped(batchID: batch.id) }
            return false
        }
    }

    /// Hands every line's result to its unit (kept for one that has not asked yet).
    private func finish(_ batch: RemoteBatch, results: [String: BatchLineResult], reason: String, customIDs: [String]?) {
        let woken: [(CheckedContinuation<Outcome, Never>, Outcome)] = lock.withLock {
            var out: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
            for (id, result) in results {
                let outcome: Outcome
                switch result {
                case .success(let image): outcome = .image(image)
                case .failure(let failure): outcome = .failed(failure)
                }
                if let waiter = waiters.removeValue(forKey: id) { out.append((waiter, outcome)) } else { unclaimed[id] = outcome }
            }
            for id in customIDs ?? Array(attached[batch.id] ?? []) where results[id] == nil {
                if let waiter = waiters.removeValue(forKey: id) { out.append((waiter, .failed(CallFailure(.server_error, reason)))) }
            }
            watched.remove(batch.id)
            attached[batch.id] = nil
            return out
        }
        for (waiter, outcome) in woken { waiter.resume(returning: outcome) }
    }

    /// Resumes the units of `customIDs` (or, for a re-attached batch, every unit still waiting
    /// on it) with `outcome`.
    private func resume(_ customIDs: [String]?, batch: RemoteBatch? = nil, with outcome: (String) -> Outcome) {
        let woken: [(CheckedContinuation<Outcome, Never>, Outcome)] = lock.withLock {
            let ids = customIDs ?? batch.map { Array(attached.removeValue(forKey: $0.id) ?? []) } ?? []
            if let batch { watched.remove(batch.id) }
            return ids.compactMap { id in waiters.removeValue(forKey: id).map { ($0, outcome(id)) } }
        }
        for (waiter, outcome) in woken { waiter.resume(returning: outcome) }
    }
}
