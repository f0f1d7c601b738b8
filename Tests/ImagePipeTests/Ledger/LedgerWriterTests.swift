import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipePlan

/// Group commit as batches need it: an intent the ledger cannot take keeps out its own batch
/// only, never other units' results written in the same round, and its sender hears so (a
/// batch created without its record would be paid for again by the next run).
@Suite struct LedgerWriterTests {
    struct Unreadable: Error {}

    @Test func anIntentThatCannotBeWrittenFailsAloneAndSaysSo() async throws {
        let path = Fixtures.temporaryDirectory().appendingPathComponent("ledger.sqlite").path
        let ledger = try Ledger(path: path)
        let writer = LedgerWriter(ledger: ledger, runID: try ledger.beginRun(pipelineSHA256: "test"))
        let warnings = Locked<[String]>([])
        writer.onFailure = { message in warnings.withLock { $0.append(message) } }
        @Sendable func item(_ name: String) -> LedgerWrite.BatchItem {
            LedgerWrite.BatchItem(stage: "hero", item: name, fingerprint: "f", key: name, customID: "ip-\(name)")
        }
        // The first intent holds the writer until the others wait behind it: they go in one round.
        let gate = DispatchSemaphore(value: 0)
        let first = Task {
            await writer.batch(.batchIntent(chunk: "c1", provider: "p", stage: "hero", items: .init { body in
                gate.wait()
                try body(item("A"))
            }))
        }
        var done = ItemOutcome(stage: "hero", key: "B", status: .succeeded)
        done.path = "hero/B.png"
        let success = Task { await writer.record(LedgerEntry(outcome: done, item: "B", fingerprint: "f", finishedAt: 1)) }
        let broken = Task {
            await writer.batch(.batchIntent(chunk: "c2", provider: "p", stage: "hero", items: .init { body in
                try body(item("C"))
                throw Unreadable()
            }))
        }
        try await Task.sleep(for: .milliseconds(300))
        gate.signal()
        #expect(await first.value == nil)
        await success.value
        let failed = await broken.value
        #expect((failed as? LedgerWrite.BatchItems.Unreadable)?.underlying is Unreadable, "\(String(describing: failed))")
        #expect(warnings.withLock { $0 }.isEmpty, "the members' fault is not the ledger's: \(warnings.withLock { $0 })")

        let snapshot = try ledger.successes()
        #expect(snapshot.success(stage: "hero", item: "B", fingerprint: "f")?.path == "hero/B.png", "a success written beside it is kept")
        #expect(snapshot.batchItem(stage: "hero", item: "A", fingerprint: "f")?.chunk == "c1")
        #expect(snapshot.batchItem(stage: "hero", item: "C", fingerprint: "f") == nil, "nothing of the failed intent is kept")
    }
}
