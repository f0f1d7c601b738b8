import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore

/// What a run keeps on disk instead of memory while its batches wait (issue 11's flat memory):
/// each member's line beside its request line, found again by item through the roster, and an
/// ended batch's result places in an index file.
@Suite struct BatchRosterTests {
    static func place(_ item: String) -> JobPlace {
        JobPlace(stage: "hero", item: item, fingerprint: String(repeating: "f", count: 64), key: item, provider: "oa")
    }

    @Test func aMemberLineGivesBackEverythingItHolds() throws {
        let origin = ContinuousClock.now
        let since = origin + .milliseconds(1_250)
        let detached = DetachedMember(customID: "ip-1", attempt: 3, reserved: true, failure: (.rate_limited, "slow\tdown\nplease \\ now"),
                                      retries: [(.server_error, "a 503"), (.timeout, "")], expiredOnce: true, since: since)
        var place = Self.place("SKU\t1\nx\\y")
        place.key = "key with\ttab"
        let line = BatchMember(customID: "ip-1", place: place, detached: detached).line(origin: origin)
        #expect(!line.contains(UInt8(ascii: "\n")))
        let back = try #require(BatchMember(line: line, origin: origin))
        #expect(back.customID == "ip-1" && back.place.item == "SKU\t1\nx\\y" && back.place.key == "key with\ttab")
        let d = try #require(back.detached)
        #expect(d.attempt == 3 && d.reserved && d.expiredOnce)
        #expect(d.failure?.failureClass == .rate_limited && d.failure?.message == "slow\tdown\nplease \\ now")
        #expect(d.retries.map(\.failureClass) == [.server_error, .timeout] && d.retries.map(\.message) == ["a 503", ""])
        #expect(abs(Double((d.since - since).components.attoseconds) / 1e18) < 0.001)

        let plain = try #require(BatchMember(line: BatchMember(customID: "ip-2", place: Self.place("A")).line(origin: origin), origin: origin))
        #expect(plain.detached == nil && plain.place.item == "A")
        let noMessage = DetachedMember(customID: "ip-3", attempt: 1, reserved: false, failure: (.network, nil), retries: [], expiredOnce: false, since: origin)
        let read = BatchMember(line: BatchMember(customID: "ip-3", place: Self.place("B"), detached: noMessage).line(origin: origin), origin: origin)
        #expect(read?.detached?.failure?.failureClass == .network && read?.detached?.failure?.message == nil)
        #expect(BatchMember(line: Array("not\ta\tmember".utf8), origin: origin) == nil)
    }

    /// Each detached member is found once by its item; those never found are handed over at the
    /// end, and units waiting in memory are in the file but never taken.
    @Test func detachedMembersAreTakenOnceAndTheRestHandedOver() throws {
        let directory = Fixtures.temporaryDirectory().path
        let roster = BatchRoster(directory: directory)
        let spool = try BatchSpool(directory: directory)
        for n in 0..<1_000 {
            let item = "SKU\(n)"
            let detached = n % 10 == 9 ? nil : DetachedMember(customID: "ip-\(n)", attempt: 1, reserved: true, failure: nil, retries: [], expiredOnce: false,
                                                              since: roster.origin)
            try spool.append(Array("{\"custom_id\":\"ip-\(n)\"}".utf8), member: BatchMember(customID: "ip-\(n)", place: Self.place(item), detached: detached),
                             origin: roster.origin)
        }
        spool.close()
        #expect(spool.count == 1_000 && spool.members.detached == 900)
        let batch = DetachedBatch(roster: roster, chunk: spool.chunk, members: spool.members)
        #expect(batch.unreadable == nil && batch.count == 900)
        #expect(batch.take(item: "SKU5")?.customID == "ip-5")
        #expect(batch.take(item: "SKU5") == nil, "taken twice")
        #expect(batch.take(item: "SKU9") == nil, "a unit waiting in memory is not detached")
        #expect(batch.take(item: "SKU1000") == nil)
        for n in 0..<500 where n % 10 != 9 && n != 5 { #expect(batch.take(item: "SKU\(n)")?.attempt == 1) }
        var rest: [String] = []
        #expect(batch.rest { rest.append($0.customID) } == 450)
        #expect(rest.first == "ip-500" && rest.last == "ip-998" && !rest.contains("ip-509"))
        #expect(!FileManager.default.fileExists(atPath: spool.members.path))
        #expect(roster.find(chunk: spool.chunk, item: "SKU600") == nil, "forgotten with its batch")
        roster.close()
    }

    static func spool(in directory: String, origin: ContinuousClock.Instant, items: Int) throws -> BatchSpool {
        let spool = try BatchSpool(directory: directory)
        for n in 0..<items {
            let detached = DetachedMember(customID: "ip-\(n)", attempt: 1, reserved: false, failure: nil, retries: [], expiredOnce: false, since: origin)
            try spool.append(Array("{}".utf8), member: BatchMember(customID: "ip-\(n)", place: Self.place("I\(n)"), detached: detached), origin: origin)
        }
        spool.close()
        return spool
    }

    /// A roster that cannot be written (here: its folder is gone; in life, a full disk) leaves one
    /// batch's members in memory, and every unit is still found by its item.
    @Test func membersThatCannotBeIndexedAreFoundInMemory() throws {
        let directory = Fixtures.temporaryDirectory().path
        let roster = BatchRoster(directory: directory + "/gone")
        let spool = try Self.spool(in: directory, origin: roster.origin, items: 3)
        let batch = DetachedBatch(roster: roster, chunk: spool.chunk, members: spool.members)
        #expect(batch.unreadable == nil)
        #expect(batch.take(item: "I1")?.customID == "ip-1")
        #expect(batch.take(item: "I1") == nil)
        var rest: [String] = []
        #expect(batch.rest { rest.append($0.customID) } == 2 && rest == ["ip-0", "ip-2"])
    }

    /// A members file that cannot be read is a local fault, named, and no member is made up.
    @Test func anUnreadableMembersFileIsALocalFault() throws {
        let directory = Fixtures.temporaryDirectory().path
        let roster = BatchRoster(directory: directory)
        let spool = try Self.spool(in: directory, origin: roster.origin, items: 3)
        try FileManager.default.removeItem(atPath: spool.members.path)
        let batch = DetachedBatch(roster: roster, chunk: spool.chunk, members: spool.members)
        let failure = try #require(batch.unreadable)
        #expect(failure.failureClass == .local_error && failure.localFault != nil && failure.message.contains(spool.members.path))
        #expect(batch.take(item: "I0") == nil)
        #expect(batch.rest { _ in } == 0)
    }

    @Test func resultPlacesAreFoundByID() throws {
        let directory = Fixtures.temporaryDirectory().path
        let file = directory + "/out.jsonl"
        var text = ""
        for n in 0..<2_000 { text += "{\"custom_id\":\"c\(n)\",\"response\":{\"n\":\(n)}}\n" }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let index = try BatchResultIndex(directory: directory)
        try index.fill { add in try JSONEntryScanner.lines(of: file, id: { $0["custom_id"]?.stringValue }, into: add) }
        #expect(!index.isEmpty)
        let place = try #require(try index.place(of: "c1234"))
        let bytes = Array(text.utf8)[Int(place.offset)..<Int(place.offset) + place.length]
        #expect(try JSONParser.parse(Array(bytes))["response"]?["n"] == .int(1234))
        #expect(try index.place(of: "c2000") == nil)
        index.discard()
        #expect(!FileManager.default.fileExists(atPath: index.path))
    }

    /// A file that fails part-way is an error, not its end: taken for the end, it cut a batch's
    /// members (the ledger's intent) or results (lines read as never answered) short unseen.
    @Test func aReadErrorIsNotTheEndOfTheFile() {
        // Opening a folder succeeds; reading it fails (EISDIR), as a failing disk's read does.
        let folder = Fixtures.temporaryDirectory().path
        #expect(throws: (any Error).self) { try JSONEntryScanner.eachLine(of: folder) { _, _ in } }
        #expect(throws: (any Error).self) { try JSONEntryScanner.arrayElements(of: folder, under: "x", id: { _ in nil }, into: { _, _ in }) }
    }

    /// A result indexed but no longer readable here (its file removed under the run) is this
    /// machine's fault: a local fault that stops the run and keeps the line for the next one,
    /// never "no result", which sent the paid line again.
    @Test func aResultThatCannotBeReadBackIsALocalFault() async throws {
        let directory = Fixtures.temporaryDirectory().path
        let file = directory + "/out.jsonl"
        try "{\"custom_id\":\"c1\",\"response\":{\"n\":1}}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let index = try BatchResultIndex(directory: directory)
        try index.fill { add in try JSONEntryScanner.lines(of: file, id: { $0["custom_id"]?.stringValue }, into: add) }
        let results = IndexedBatchResults(files: [file], index: index) { _ in .failure(CallFailure(.bad_request, "decoded")) }
        #expect(await results.result(for: "c2") == nil, "no line for it: the provider's answer")
        try FileManager.default.removeItem(atPath: file)
        guard case .failure(let failure)? = await results.result(for: "c1") else {
            Issue.record("a result that cannot be read gave no failure")
            return
        }
        #expect(failure.failureClass == .local_error && failure.localFault != nil, "\(failure)")
        #expect(failure.message.contains("stays recorded for the next run"))
        results.discard()
    }

    /// A result file that cannot be read while it is indexed is a local fault too: taken for a
    /// passing failure, the batch's results were downloaded again and again, for ever.
    @Test func aResultFileThatCannotBeIndexedIsALocalFault() throws {
        let directory = Fixtures.temporaryDirectory().path
        let index = try BatchResultIndex(directory: directory)
        let failure = #expect(throws: CallFailure.self) {
            // A folder opens, and its read fails (EISDIR), as a failing disk's does.
            try index.fill { add in try JSONEntryScanner.lines(of: directory, id: { $0["custom_id"]?.stringValue }, into: add) }
        }
        #expect(failure?.localFault != nil, "\(String(describing: failure))")
        index.discard()
    }
}
