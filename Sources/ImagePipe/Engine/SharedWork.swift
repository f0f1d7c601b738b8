import Foundation

extension RunEngine {
    /// With a shared ledger this process is one worker of the run: it claims items from the
    /// queue (and fills the queue when no other worker is), renews its claims while it works,
    /// and ends when every item of the run is done, here or elsewhere.
    func work(from queue: WorkQueue) async {
        let renewing = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(queue.lease / 3))
                if Task.isCancelled { return }
                do {
                    try await queue.renew()
                } catch {
                    // Others may take this worker's provider slots once its lease runs out: it
                    // starts no call until its share is counted again.
                    for gate in self?.providerGates ?? [] { _ = gate.slots?.shrink(to: 0) }
                    await self?.emit(.warning("cannot renew this worker's claims in \(queue.shown): \(error); other workers take them over after \(Int(queue.lease)) s"))
                }
            }
        }
        // A provider's concurrency is shared out again as workers come and go.
        let sharing = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                guard let self, !Task.isCancelled else { return }
                for gate in self.providerGates {
                    try? gate.rebalanceSlots(usable: Self.usableSlots(of: gate.name, in: self.pipeline))
                }
            }
        }
        defer {
            renewing.cancel()
            sharing.cancel()
        }
        let roots = rootsBySource
        queue.hasLaterStages = stages.contains { !$0.children.isEmpty }
        var rows = SourceRows(pipeline)
        // Set while this process fills the queue; another worker's enqueuer may die, so a worker
        // that finds the queue unfilled tries to take over now and then.
        let enqueuing = Locked(false)
        var lastTry = ContinuousClock.now - .seconds(10)
        var failuresInARow = 0
        // This worker's claims still running: they may queue later stages of their items.
        let running = Locked(0)
        await withDiscardingTaskGroup { group in
            while !control.isStopping {
                // Room first, a quarter of the items in flight at least (the rest keep the stages
                // busy meanwhile), then as many as there is room for: each round trip claims many.
                var room = 0
                do {
                    for _ in 0..<max(1, admission.limit / 4) {
                        try await admission.acquire()
                        room += 1
                    }
                } catch {
                    for _ in 0..<room { admission.release() }
                    break
                }
                while room < 64, admission.tryAcquire() { room += 1 }
                if control.isStopping {
                    for _ in 0..<room { admission.release() }
                    break
                }
                var claims: [WorkQueue.Claim] = []
                var progress: WorkQueue.Progress?
                do {
                    claims = try await queue.claim(limit: room)
                    for _ in 0..<max(0, room - claims.count) { admission.release() }
                    room = 0
                    if claims.isEmpty { progress = try await queue.progress() }
                    failuresInARow = 0
                } catch {
                    for _ in 0..<room { admission.release() }
                    failuresInARow += 1
                    if failuresInARow == 1 { await emit(.warning("cannot claim work from \(queue.shown): \(error); trying again")) }
                    if failuresInARow >= 10 {
                        control.stop(.interrupted)
                        await emit(.warning("gave up claiming work from \(queue.shown) after 10 tries: \(error)"))
                        break
                    }
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                if let progress {
                    if progress.budgetReached {
                        budget.markReached()
                        control.stop(.budget)
                        break
                    }
                    // Finished only once this worker's own claims are done too (they queue the
                    // later stages of their items before they end).
                    if progress.finished, running.withLock({ $0 }) == 0, (try? await queue.progress())?.finished == true {
                        sawRunFinished.set()
                        break
                    }
                    if !progress.enqueued, ContinuousClock.now - lastTry > .seconds(1), enqueuing.withLock({ running in
                        if running { return false }
                        running = true
                        return true
                    }) {
                        lastTry = .now
                        group.addTask {
                            await self.enqueue(into: queue)
                            enqueuing.withLock { $0 = false }
                        }
                    }
                    // Waiting for the enqueuer, or for other workers' claims to end (then every
                    // worker leaves at once) or run out (then this one takes them over).
                    try? await Task.sleep(for: .seconds(progress.enqueued ? 0.2 : 0.05))
                    continue
                }
                for claim in claims {
                    guard var item = rows.item(source: claim.source, row: claim.row, key: claim.key) else {
                        await emit(.warning("row \(claim.row) of source '\(claim.source)' (key '\(claim.key)') changed since the run queued it; it was left out"))
                        await writer?.batch(.workDone(seq: claim.seq, worker: queue.workerID))
                        admission.release()
                        continue
                    }
                    let joins = joinsBySource[claim.source] ?? []
                    // Stage by stage, unless the source has joins: a join needs all its inputs in one task.
                    if joins.isEmpty { item.claim = StageClaim(stage: claim.stage, row: claim.row) }
                    let fromOthers = claim.claims > 1 || !claim.stage.isEmpty
                    if fromOthers, let shared = ledger as? PostgresLedger {
                        // What other workers finished of the item (its stages above, or what a worker
                        // whose lease ran out made) passes on from the ledger, not made again…
                        guard let done = try? shared.successes(key: claim.key) else {
                            // Unread, the claim is left to its lease: it is claimed again, not lost.
                            await emit(.warning("cannot read item '\(claim.key)' from \(queue.shown); it is left for another try"))
                            admission.release()
                            continue
                        }
                        reclaimed.withLock { $0[claim.key] = (($0[claim.key]?.claims ?? 0) + 1, done) }
                        // …when its files are here: a stage whose input was made on another machine says so.
                        if claim.claims > 1 {
                            for file in done.files where !FileManager.default.fileExists(atPath: pipeline.outputDirectory + "/" + file.path) {
                                await emit(.warning("item '\(claim.key)': stage '\(file.stage)' made \(file.path) on another worker, and it is not on this machine; "
                                                    + "put output_dir on storage every worker shares (see docs/examples/kubernetes-workers.yaml)"))
                            }
                        }
                    }
                    let sourceRoots = roots[claim.source] ?? []
                    let ready = item
                    running.withLock { $0 += 1 }
                    group.addTask {
                        await self.runItem(ready, roots: sourceRoots, joins: joins)
                        self.admission.release()
                        defer { running.withLock { $0 -= 1 } }
                        if let stageClaim = ready.claim, !self.control.isStopping {
                            await self.queueChildren(of: stageClaim, source: claim.source, key: claim.key, in: queue)
                        }
                        if fromOthers {
                            self.reclaimed.withLock { held in
                                guard let entry = held[claim.key] else { return }
                                held[claim.key] = entry.claims > 1 ? (entry.claims - 1, entry.done) : nil
                            }
                        }
                        // An item the run stopped in the middle of goes back to the queue when the worker leaves.
                        if !self.control.isStopping { await self.writer?.batch(.workDone(seq: claim.seq, worker: queue.workerID)) }
                    }
                }
            }
        }
        if !control.isStopping {
            for runtime in stages { runtime.stats.expectWhatEnded() }
        }
    }

    /// Streams the sources into the queue when no other worker is doing it; a worker that takes
    /// over from one that died starts again from the top (rows already queued stay as they are).
    private func enqueue(into queue: WorkQueue) async {
        let enqueuer: WorkQueue.Enqueuer
        do {
            guard let taken = try queue.takeEnqueuing() else { return }
            enqueuer = taken
        } catch {
            await emit(.warning("cannot queue the run's items in \(queue.shown): \(error)"))
            return
        }
        do {
            for source in pipeline.sources {
                guard let roots = rootsBySource[source.name], !roots.isEmpty, var items = SourceItems(source, files: pipeline.files) else { continue }
                var rows: [(source: String, row: Int, key: String)] = []
                while !control.isStopping {
                    guard let (count, item) = items.next() else { break }
                    if selection.readsPast(row: count) { break }
                    guard let context = item, selection.selects(row: count, key: context.key, fields: context) else { continue }
                    rows.append((source.name, count, context.key))
                    if rows.count == 500 {
                        try await enqueuer.add(rows)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
                try await enqueuer.add(rows)
            }
            if !control.isStopping { try await enqueuer.finish() }
        } catch {
            await emit(.warning("cannot queue the run's items in \(queue.shown): \(error); another worker takes over"))
        }
    }
}
