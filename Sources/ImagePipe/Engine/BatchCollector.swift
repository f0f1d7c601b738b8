import Foundation

/// One stage's batches: units hand in their request lines and wait; lines are sent as one remote
/// batch when no new line has come for a moment or the batch is full (the provider's limits, or
/// `batch.max_requests` / `max_bytes`); each batch is recorded (intent, then id) before anything
/// waits on it, watched every `batch.poll_interval`, and its results handed back by custom id,
/// each read from the downloaded files only when its unit is resumed.
final class BatchCollector: @unchecked Sendable {
    enum Outcome: Sendable {
        case image(ProviderImage)
        case failed(CallFailure)
        /// The batch still runs (or its creation could not be confirmed) and the run stops
        /// waiting: a later run collects it. `what` names the batch, or the chunk.
        case pending(what: String)
        /// The run was interrupted while the batch ran.
        case stopped(batchID: String)
    }

    /// How a batch ended: its results (on disk), or one outcome for all its units; and why a line
    /// without a result failed, and whether because the batch expired.
    private struct Ending: Sendable {
        var results: (any BatchResultSet)?
        var outcome: Outcome?
        var reason: String
        var expired = false
    }

    /// Who waits for a line's outcome: a unit's suspended task, or a unit parked in the run's lot.
    private enum Waiter {
        case task(CheckedContinuation<Outcome, Never>)
        case parked(ParkedUnit)
    }

    /// How long without a new line before the lines gathered so far go out: long enough that a
    /// stage's items, streamed from their source on a busy machine, go in one batch.
    static let quiet: Duration = .seconds(2)

    let provider: any BatchImageProvider
    let setting: BatchSetting
    let stage: String
    let providerName: String
    private let model: String
    private let limits: BatchLimits
    private let control: RunControl
    private let writer: LedgerWriter?
    private let metadata: [(String, String)]
    private let timeout: Double
    private let cancelRemote: Bool
    /// When the run stops waiting for batches (`batch.wait` after the stage's first line); nil: never.
    private let deadline: ContinuousClock.Instant?
    /// Where result files are downloaded; removed when the run ends.
    private let scratch: ScratchFolder
    private var directory: String { scratch.path }

    private let lock = NSLock()
    /// The batch being gathered, and full ones not yet sent: their lines, and who waits on each.
    private var gathering: BatchSpool?
    private var ready: [BatchSpool] = []
    private let roster: BatchRoster
    private var lastLine = ContinuousClock.now
    private var flushing = false
    private var waiters: [String: Waiter] = [:]
    private let parking: ParkingLot
    /// Detached units by batch, in the roster.
    private var detachedByBatch: [String: [DetachedBatch]] = [:]
    /// This run's detached units waiting on an earlier run's batch, by batch id.
    private var attaching: [String: BatchMembersFile] = [:]
    /// Told when a batch of detached units ends (or never started): the engine reads their items
    /// again and wakes them, each with its line's outcome.
    var onDetached: (@Sendable (_ members: DetachedBatch, _ outcome: @escaping @Sendable (String) async -> Outcome) -> Void)?
    /// Units waiting on a batch (this run's or an earlier run's), by batch id.
    private var members: [String: Set<String>] = [:]
    private var watched = Set<String>()
    /// Batches that ended this run, with their results (on disk) and why a line may lack one.
    private var finished: [String: Ending] = [:]
    /// Chunk look-ups of earlier runs' batches whose creation was not recorded, one per chunk.
    private var lookups: [String: Task<Result<RemoteBatch?, CallFailure>, Never>] = [:]
    /// Hashes of the custom ids claimed (a run collecting 100,000 lines keeps 8 bytes for each).
    private var claimed = Set<Int>()
    private var created = 0
    private var lines = 0

    init(provider: any BatchImageProvider, setting: BatchSetting, stage: String, providerName: String, control: RunControl, writer: LedgerWriter?,
         model: String, metadata: [(String, String)], timeout: Double, cancelRemote: Bool, wait: Double?, parking: ParkingLot) {
        self.provider = provider
        self.model = model
        self.parking = parking
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
        scratch = ScratchFolder()
        roster = BatchRoster(directory: scratch.path)
    }

    /// Batches created and lines sent by this run.
    var counts: (batches: Int, lines: Int) { lock.withLock { (created, lines) } }

    /// True the first time this run asks for a line an earlier run sent: a regeneration sends anew.
    func claimLeftOver(_ customID: String) -> Bool { lock.withLock { claimed.insert(customID.hashValue).inserted } }

    /// Removes the downloaded result files.
    func cleanUp() {
        let sets = lock.withLock { finished.values.compactMap(\.results) }
        for set in sets { set.discard() }
        roster.close()
        scratch.remove()
    }

    /// Sends `line` in the next batch and waits for its result; or, with `parking`, parks the
    /// unit and returns nil at once (the run's lot wakes it when the batch has ended).
    func submit(customID: String, line: [UInt8], place: JobPlace, parking unit: ParkedUnit? = nil, detached: DetachedMember? = nil) async -> Outcome? {
        if let detached {
            parking.park()
            if let failure = enqueue(BatchMember(customID: customID, place: place, detached: detached), line: line) {
                parking.done()
                return .failed(failure)
            }
            return nil
        }
        if let unit {
            parking.park()
            if let refused = enqueue(customID: customID, line: line, place: place, .parked(unit)) {
                parking.done()
                return refused
            }
            return nil
        }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            if let refused = enqueue(customID: customID, line: line, place: place, .task(continuation)) {
                continuation.resume(returning: refused)
            }
        }
    }

    /// Adds a line to the next batch; the outcome instead when its custom id is taken or it cannot be written.
    private func enqueue(customID: String, line: [UInt8], place: JobPlace, _ waiter: Waiter) -> Outcome? {
        let taken: Bool = lock.withLock {
            // Custom ids carry the item's identity and the run: a clash is a bug, never a silent overwrite.
            guard waiters[customID] == nil else { return true }
            waiters[customID] = waiter
            return false
        }
        guard !taken else { return Self.clash(customID) }
        if let failure = enqueue(BatchMember(customID: customID, place: place), line: line) {
            lock.withLock { _ = waiters.removeValue(forKey: customID) }
            return .failed(failure)
        }
        return nil
    }

    /// Writes the line to the batch being gathered (a full one is set aside for sending first),
    /// and who waits on it beside it.
    private func enqueue(_ member: BatchMember, line: [UInt8]) -> CallFailure? {
        let (failure, start): (CallFailure?, Bool) = lock.withLock {
            do throws(CallFailure) {
                if let current = gathering, !current.fits(line.count, limits) {
                    current.close()
                    ready.append(current)
                    gathering = nil
                }
                if gathering == nil { gathering = try BatchSpool(directory: directory) }
                try gathering!.append(line, member: member, origin: roster.origin)
            } catch {
                // A spool that holds no line yet is not a batch: never sent empty.
                if let current = gathering, current.count == 0 {
                    current.discard()
                    gathering = nil
                }
                return (error, false)
            }
            lastLine = ContinuousClock.now
            defer { flushing = true }
            return (nil, !flushing)
        }
        if start { Task { await self.flushWhenQuiet() } }
        return failure
    }

    /// A batch whose intent the ledger could not take; a full disk stops the run's new work.
    private static func unrecorded(_ error: any Error, writer: LedgerWriter) -> CallFailure {
        var failure = CallFailure(.local_error, "its batch was not sent: the ledger could not record it (\(error)), "
                                  + "and a later run would pay again for a batch it does not know of")
        failure.localFault = writer.localFault(error)
        return failure
    }

    private static func clash(_ customID: String) -> Outcome {
        .failed(CallFailure(.local_error, "two requests of this run have the custom id \(customID)"))
    }

    /// Waits for the result of a line an earlier run sent; with `parking`, parks the unit while
    /// the batch runs and returns nil.
    /// With `detached` (a root-stage unit, made again from its row), nothing of the unit is kept
    /// but its member's line, in a file of the batch's attached units.
    func attach(_ place: BatchPlace, parking unit: ParkedUnit? = nil, detached: (member: DetachedMember, job: JobPlace)? = nil) async -> Outcome? {
        var batchID = place.batchID
        if batchID == nil {
            // The run stopped between recording the intent and the batch's id: look it up by chunk.
            switch await lookUp(chunk: place.chunk) {
            case .success(let found?):
                batchID = found.id
            case .success(nil):
                return .failed(CallFailure(.server_error, "the batch of chunk \(place.chunk) was never created (the run stopped first); sent again"))
            case .failure(let error):
                // Unknown whether it exists: keep it recorded, never risk a second batch.
                return .pending(what: "chunk \(place.chunk) (its batch could not be looked up: \(error.message))")
            }
        }
        let batch = RemoteBatch(id: batchID!, chunk: place.chunk)
        let ended: Ending? = lock.withLock { finished[batch.id] }
        if let ended { return await Self.outcome(of: place.customID, in: ended) }
        if let detached {
            parking.park()
            switch joinDetached(batch, BatchMember(customID: place.customID, place: detached.job, detached: detached.member)) {
            case nil:
                return nil
            case .ended?:
                parking.done()
                return await readNow(batch, place.customID)
            case .failed(let failure)?:
                // Its line still runs at the provider (paid either way): kept in the ledger for the next run, never sent again.
                parking.done()
                return .pending(what: "batch \(batch.id) (it cannot be waited for here: \(failure.message))")
            }
        }
        if let unit {
            parking.park()
            guard join(batch, place.customID, .parked(unit)) else {
                // It ended between the two looks (or the id clashed): read it now.
                parking.done()
                return await readNow(batch, place.customID)
            }
            return nil
        }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            guard join(batch, place.customID, .task(continuation)) else {
                Task { continuation.resume(returning: await self.readNow(batch, place.customID)) }
                return
            }
        }
    }

    private enum NotJoined { case ended, failed(CallFailure) }

    /// Writes a detached unit's member to `batch`'s file of attached units (watching the batch
    /// unless something already does); nil when it waits, else why not.
    private func joinDetached(_ batch: RemoteBatch, _ member: BatchMember) -> NotJoined? {
        let result: (NotJoined?, Bool) = lock.withLock {
            if finished[batch.id] != nil { return (.ended, false) }
            do throws(CallFailure) {
                if attaching[batch.id] == nil {
                    // A file (and roster chunk) of its own each time: a batch given up on (the run stops
                    // waiting) is joined again by later units while its first units are still being woken.
                    attaching[batch.id] = try BatchMembersFile(path: directory + "/attached-" + UUID().uuidString.lowercased() + ".jsonl")
                }
                try attaching[batch.id]!.append(member, origin: roster.origin)
            } catch {
                return (.failed(error), false)
            }
            return (nil, watched.insert(batch.id).inserted)
        }
        if result.1 { Task { await self.watch(batch) } }
        return result.0
    }

    /// Waits for `batch` (watching it unless something already does); false when it has ended
    /// since the first look, or the custom id is taken.
    private func join(_ batch: RemoteBatch, _ customID: String, _ waiter: Waiter) -> Bool {
        let watch: Bool? = lock.withLock {
            guard waiters[customID] == nil else { return nil }
            if finished[batch.id] != nil { return nil }
            waiters[customID] = waiter
            members[batch.id, default: []].insert(customID)
            return watched.insert(batch.id).inserted
        }
        guard let watch else { return false }
        if watch { Task { await self.watch(batch) } }
        return true
    }

    private func readNow(_ batch: RemoteBatch, _ customID: String) async -> Outcome {
        guard let ended = lock.withLock({ finished[batch.id] }) else { return Self.clash(customID) }
        return await Self.outcome(of: customID, in: ended)
    }

    /// One look-up per chunk, shared by every unit of it.
    private func lookUp(chunk: String) async -> Result<RemoteBatch?, CallFailure> {
        let task: Task<Result<RemoteBatch?, CallFailure>, Never> = lock.withLock {
            if let existing = lookups[chunk] { return existing }
            let made = Task { () -> Result<RemoteBatch?, CallFailure> in
                var last = CallFailure(.network, "not looked up")
                for attempt in 0..<3 {
                    do throws(CallFailure) {
                        let found = try await provider.findBatch(chunk: chunk, timeout: timeout)
                        if let found { await writer?.batch(.batchCreated(chunk: chunk, batchID: found.id)) }
                        return .success(found)
                    } catch {
                        last = error
                        try? await Task.sleep(for: .seconds(Double(1 << attempt)))
                    }
                }
                return .failure(last)
            }
            lookups[chunk] = made
            return made
        }
        return await task.value
    }

    /// Sends what has gathered once no line has come for `quiet`, full batches at once.
    private func flushWhenQuiet() async {
        while true {
            // While an ended batch's units are still being woken, the lines they send again are still coming.
            let waking = parking.stillWaking(within: Self.quiet)
            let chunk: BatchSpool? = lock.withLock {
                if !ready.isEmpty { return ready.removeFirst() }
                guard let current = gathering, ContinuousClock.now - lastLine >= Self.quiet, !waking else { return nil }
                gathering = nil
                current.close()
                return current
            }
            if let chunk {
                if chunk.count == 0 { chunk.discard() } else { Task { await self.send(chunk) } }
                let done = lock.withLock { () -> Bool in
                    let empty = gathering == nil && ready.isEmpty
                    if empty { flushing = false }
                    return empty
                }
                if done { return }
                continue
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Records the intent, creates the batch (or finds it, when the create's answer was lost),
    /// records its id, and watches it.
    private func send(_ spool: BatchSpool) async {
        let name = spool.chunk
        let origin = roster.origin
        // Detached units are found in the members file when their batch ends; reading it here
        // also proves it whole before the ledger's intent is made from it.
        let detached = spool.members.detached > 0 ? DetachedBatch(roster: roster, chunk: spool.chunk, members: spool.members) : nil
        var unreadable = detached?.unreadable
        if detached == nil {
            do {
                try BatchMembersFile.members(at: spool.members.path, origin: origin) { _, _, _ in }
            } catch {
                unreadable = BatchMembersFile.unreadable(spool.members.path, error)
            }
        }
        defer { spool.discard(keepMembers: detached != nil) }
        let ids = spool.members.waiting
        // Every unit of the chunk hears how it ended, whether it waits in a task or detached.
        func resume(_ ids: [String], with outcome: @escaping @Sendable (String) -> Outcome) {
            self.resume(ids, with: outcome)
            if let detached { onDetached?(detached) { outcome($0) } }
        }
        guard !control.isHalted else {
            return resume(ids) { _ in .failed(CallFailure(.cancelled, "the run stopped before its batch was sent")) }
        }
        if let unreadable {
            // A batch whose members cannot be read cannot be recorded, so it is not sent (nothing is paid).
            return resume(ids) { _ in .failed(unreadable) }
        }
        let items = LedgerWrite.BatchItems { body in
            try BatchMembersFile.members(at: spool.members.path, origin: origin) { member, _, _ in
                try body(LedgerWrite.BatchItem(stage: member.place.stage, item: member.place.item, fingerprint: member.place.fingerprint,
                                               key: member.place.key, customID: member.customID))
            }
        }
        if let writer, let error = await writer.batch(.batchIntent(chunk: name, provider: providerName, stage: stage, items: items)) {
            // Unrecorded, a batch left running could not be found by a later run, which would pay for
            // its lines again: it is not sent.
            let failure = (error as? LedgerWrite.BatchItems.Unreadable).map { BatchMembersFile.unreadable(spool.members.path, $0.underlying) }
                ?? Self.unrecorded(error, writer: writer)
            return resume(ids) { _ in .failed(failure) }
        }
        let batch: RemoteBatch
        do throws(CallFailure) {
            batch = try await provider.createBatch(input: spool.path, bytes: spool.bytes, chunk: name, model: model, metadata: metadata, timeout: max(timeout, 120))
        } catch {
            guard [.timeout, .network, .server_error].contains(error.failureClass) else {
                // Refused outright: nothing was created.
                await writer?.batch(.batchAbandoned(chunk: name))
                return resume(ids) { _ in .failed(error) }
            }
            // The batch may exist although its answer was lost: never create it twice.
            switch await lookUp(chunk: name) {
            case .success(let found?):
                return started(found, ids: ids, detached: detached, lines: spool.count)
            case .success(nil):
                await writer?.batch(.batchAbandoned(chunk: name))
                return resume(ids) { _ in .failed(error) }
            case .failure:
                return resume(ids) { _ in .pending(what: "chunk \(name) (its creation could not be confirmed: \(error.message))") }
            }
        }
        await writer?.batch(.batchCreated(chunk: name, batchID: batch.id))
        started(batch, ids: ids, detached: detached, lines: spool.count)
    }

    /// Watches the batch in a task of its own, so that the chunk's lines are let go now.
    private func started(_ batch: RemoteBatch, ids: [String], detached: DetachedBatch?, lines count: Int) {
        let watch: Bool = lock.withLock {
            created += 1
            lines += count
            members[batch.id, default: []].formUnion(ids)
            if let detached { detachedByBatch[batch.id, default: []].append(detached) }
            return watched.insert(batch.id).inserted
        }
        if watch { Task { await self.watch(batch) } }
    }

    /// Looks at `batch` every `poll_interval` until it ends, the run stops, or `batch.wait` passes
    /// (after one look, so that a run that does not wait still collects what has ended).
    private func watch(_ batch: RemoteBatch) async {
        while true {
            let state: BatchState
            do throws(CallFailure) {
                state = try await provider.batchState(batch, timeout: timeout)
            } catch {
                if error.status == 404 {
                    return end(batch, results: nil, outcome: .failed(CallFailure(.server_error, "batch \(batch.id) is gone at the provider; sent again")), reason: "")
                }
                if error.failureClass == .auth {
                    return end(batch, results: nil, outcome: .pending(what: "batch \(batch.id) (the provider refused the key: \(error.message))"), reason: "")
                }
                guard await nap(batch) else { return }
                continue
            }
            switch state {
            case .running:
                if let deadline, control.clock.now >= deadline {
                    return end(batch, results: nil, outcome: .pending(what: "batch \(batch.id)"), reason: "", keep: false)
                }
                guard await nap(batch) else { return }
            case .failed(let why):
                return end(batch, results: nil, outcome: .failed(CallFailure(.bad_request, why)), reason: "")
            case .ended(_, let reason, let expired):
                do throws(CallFailure) {
                    let results = try await provider.batchResults(batch, directory: directory, timeout: max(timeout, 600))
                    return end(batch, results: results, outcome: nil, reason: reason, expired: expired)
                } catch {
                    if error.localFault != nil {
                        // This machine cannot keep the results (a full disk): the run stops; the batch's
                        // lines stay in the ledger for the next run, not downloaded again and again.
                        return end(batch, results: nil, outcome: .failed(error), reason: "")
                    }
                    if let deadline, control.clock.now >= deadline {
                        return end(batch, results: nil, outcome: .pending(what: "batch \(batch.id) (its results could not be read: \(error.message))"),
                                   reason: "", keep: false)
                    }
                    guard await nap(batch) else { return }
                }
            }
        }
    }

    /// Sleeps until the next look; false (having told the batch's units) when the run stopped.
    private func nap(_ batch: RemoteBatch) async -> Bool {
        let next = control.clock.now + .seconds(setting.pollInterval)
        do {
            try await control.sleep(until: deadline.map { min($0, next) } ?? next)
            return true
        } catch {
            if cancelRemote { await provider.cancelBatch(batch, timeout: min(timeout, 10)) }
            end(batch, results: nil, outcome: .stopped(batchID: batch.id), reason: "", keep: false)
            return false
        }
    }

    /// Hands the batch's units their outcome: `outcome` for all, or each one's line of
    /// `results`. `keep` remembers the ending for units that attach later this run.
    private func end(_ batch: RemoteBatch, results: (any BatchResultSet)?, outcome: Outcome?, reason: String, expired: Bool = false,
                     keep: Bool = true) {
        let ending = Ending(results: results, outcome: outcome, reason: reason, expired: expired)
        let (woken, sent, attached): ([(String, Waiter)], [DetachedBatch], BatchMembersFile?) = lock.withLock {
            if keep { finished[batch.id] = ending }
            watched.remove(batch.id)
            let ids = members.removeValue(forKey: batch.id) ?? []
            return (ids.compactMap { id in waiters.removeValue(forKey: id).map { (id, $0) } }, detachedByBatch.removeValue(forKey: batch.id) ?? [],
                    attaching.removeValue(forKey: batch.id))
        }
        var detached = sent
        if let attached {
            attached.close()
            detached.append(DetachedBatch(roster: roster, chunk: (attached.path as NSString).lastPathComponent, members: attached))
        }
        for members in detached { onDetached?(members) { id in await Self.outcome(of: id, in: ending) } }
        var tasks: [(String, CheckedContinuation<Outcome, Never>)] = []
        for (id, waiter) in woken {
            switch waiter {
            case .task(let continuation): tasks.append((id, continuation))
            case .parked(let unit): parking.wake(WokenUnit(parked: unit, collect: { await Self.outcome(of: id, in: ending) }))
            }
        }
        guard !tasks.isEmpty else { return }
        Task {
            for (id, waiter) in tasks { waiter.resume(returning: await Self.outcome(of: id, in: ending)) }
        }
    }

    private static func outcome(of customID: String, in ending: Ending) async -> Outcome {
        if let outcome = ending.outcome { return outcome }
        guard let results = ending.results, let result = await results.result(for: customID) else {
            var failure = CallFailure(ending.expired ? .timeout : .server_error, ending.reason)
            failure.expired = ending.expired
            return .failed(failure)
        }
        switch result {
        case .success(let image): return .image(image)
        case .failure(let failure): return .failed(failure)
        }
    }

    /// Resumes (or wakes) the units of `customIDs` with `outcome`.
    private func resume(_ customIDs: [String], with outcome: (String) -> Outcome) {
        let woken: [(Waiter, Outcome)] = lock.withLock {
            customIDs.compactMap { id in waiters.removeValue(forKey: id).map { ($0, outcome(id)) } }
        }
        for (waiter, outcome) in woken {
            switch waiter {
            case .task(let continuation): continuation.resume(returning: outcome)
            case .parked(let unit): parking.wake(WokenUnit(parked: unit, collect: { outcome }))
            }
        }
    }
}
