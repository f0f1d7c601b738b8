import Foundation

extension RunEngine {
    /// Wakes a batch's detached units: reads their stage's source again, makes each member's unit
    /// from its row as the first pass did (key, fields, fan-out), and hands it to the parking lot
    /// with its line's outcome, as fast as the lot takes them in. The members are read from the
    /// roster one by one: memory follows neither the batch nor the run's items.
    /// A member whose row is gone (the file changed during the run) cannot be made again: it is
    /// let go with a warning, and its line stays in the ledger for the next run to collect.
    func restream(_ runtime: StageRuntime, _ members: DetachedBatch, _ outcome: @escaping @Sendable (String) async -> BatchCollector.Outcome) {
        // Retries of these units' lines belong in one batch: the collector waits while they are read,
        // from now on (counted before the task starts, or a batch gathering meanwhile could go out early).
        parking.reading(true)
        Task {
            defer { parking.reading(false) }
            var left = members.count
            let price = runtime.stage.body.price?.usd ?? 0
            // Members that cannot be read leave the lot, or the run would never end, and give their
            // reservations back, or the budget would wait for them forever.
            func letGo(_ count: Int, _ why: CallFailure) {
                budget.settle(price * Double(members.reservationsLeft), spent: false)
                for _ in 0..<count {
                    var lost = ItemOutcome(stage: runtime.name, key: members.chunk, status: .failed)
                    lost.failureClass = why.failureClass
                    lost.message = secrets.redact(why.message)
                    runtime.stats.ended(lost, wasInFlight: true)
                    parking.done()
                }
            }
            if let unreadable = members.unreadable {
                // No member can be read: none can be woken. The disk's fault stops new work.
                if let fault = unreadable.localFault { breaker.trip(fault) }
                await emit(.warning("\(left) item\(left == 1 ? "" : "s") of stage '\(runtime.name)' could not be taken back from their batch: "
                                    + secrets.redact(unreadable.message) + "; the next run takes them up (a batch never sent is sent then)"))
                members.forget()
                return letGo(left, unreadable)
            }
            if let source = pipeline.sources.first(where: { $0.name == runtime.stage.rootSource }),
               var items = SourceItems(source, files: pipeline.files) {
                while left > 0, let (_, item) = items.next() {
                    guard let context = item else { continue }
                    let expansion = runtime.stage.expansion
                    for unit in expansion.isIdentity ? [context] : Array(expansion.units(of: context)) {
                        guard let member = members.take(item: unit.itemID) else { continue }
                        left -= 1
                        let parked = ParkedUnit(runtime: runtime, unit: unit, attempt: member.attempt, reserved: member.reserved,
                                                failure: member.failure, retries: member.retries, regeneration: nil)
                        parked.expiredOnce = member.expiredOnce
                        parked.since = member.since
                        parked.expectedCustomID = member.customID
                        let id = member.customID
                        await parking.wakeWhenRoom(WokenUnit(parked: parked, collect: { await outcome(id) }))
                    }
                }
            }
            guard left > 0 else { return members.forget() }
            // Said before they are let go: the run may end with the last of them.
            await emit(.warning("\(left) item\(left == 1 ? "" : "s") of stage '\(runtime.name)' waiting in a batch could not be read again "
                                + "from the source (it changed during the run); the next run collects them"))
            var gone: [DetachedMember] = []
            let told = members.rest { gone.append($0) }
            for member in gone {
                if member.reserved {
                    // A line answered was billed, whether or not its unit can be made again.
                    let paid: Bool
                    if case .image = await outcome(member.customID) { paid = true } else { paid = false }
                    budget.settle(price, spent: paid)
                }
                var ended = ItemOutcome(stage: runtime.name, key: member.customID, status: .submitted)
                ended.message = "its row is gone from the source; the next run collects its line"
                runtime.stats.ended(ended, wasInFlight: true)
                parking.done()
            }
            if told < left {
                letGo(left - told, CallFailure(.local_error, "its batch's members could not be read again; the next run collects its line"))
            }
        }
    }
}
