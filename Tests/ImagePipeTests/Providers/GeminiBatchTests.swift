import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `batch:` on a Gemini stage against the emulator's Batch Mode and Files API over loopback:
/// inline requests for a batch that fits in 20 MB, a resumable upload for a larger one, results
/// joined on the key, half the price, and an expired batch's items sent again.
@Suite struct GeminiBatchTests {
    static func yaml(batch: String = "batch: { poll_interval: 200ms }") -> String {
        """
        version: 1
        name: gemini-batch-test
        providers:
          gm: { kind: gemini, base_url: "{{BASE}}", api_key: batch-test-key }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: gm
              model: gemini-2.5-flash-image
              prompt: "{{ name }}"
              aspect_ratio: "1:1"
              output: "hero/{{ sku }}.png"
              retry: { attempts: 3, initial: 10ms, jitter: none }
              \(batch)
        """
    }

    /// 200 items inline (1,000 in the note's figure, by `scripts/bench-batch`).
    @Test func inlineRequestsInOneBatchAtHalfPrice() async throws {
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": RunHarness.products(200)], emulator: OpenAIBatchTests.emulator(batchTime: 0.3))
        let seen = try #require(run.emulator)
        #expect(run.stage("hero").succeeded == 200, "\(run.lines(stage: "hero").prefix(3).map { $0["message"] ?? "" })")
        #expect(seen.batches.uploads == 0 && seen.batches.creations == 1 && seen.batches.lines == 200)
        #expect(seen.byPrompt.count == 200 && seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(run.lines(stage: "hero").allSatisfy { $0["cost_usd"] as? Double == 0.0195 })
        let bytes = try #require(FileManager.default.contents(atPath: run.directory.appendingPathComponent("out/hero/P150.png").path))
        #expect(throws: Never.self) { try ImageInspector.inspect(Array(bytes)) }
    }

    /// Google's expired batches keep no results: every item of one goes in a new batch, and its
    /// history says why.
    @Test func anExpiredBatchsItemsGoInANewOne() async throws {
        let csv = "sku,name\nA1,Red mug\nB2,[[expire]] Blue mug\n"
        let run = try await RunHarness.run(Self.yaml(), files: ["products.csv": csv], emulator: OpenAIBatchTests.emulator(batchTime: 0.3))
        let lines = run.lines(stage: "hero")
        #expect(run.stage("hero").succeeded == 2, "\(lines)")
        #expect(lines.allSatisfy { $0["attempts"] as? Int == 2 }, "\(lines)")
        let history = lines.first?["retries"] as? [[String: Any]] ?? []
        #expect(history.first?["class"] as? String == "timeout", "\(history)")
        #expect((history.first?["message"] as? String ?? "").contains("expired"), "\(history)")
        #expect(run.emulator?.batches.creations == 2)
    }

    /// Past the inline limit (20 MB; lowered here), the lines go up by the Files API's resumable
    /// protocol and the batch names the file; its responses file is read and joined on the key;
    /// a line that failed is that line's failure; the batch is found again by its chunk.
    @Test func aLargeBatchGoesUpAsAFile() async throws {
        var configuration = OpenAIBatchTests.emulator(batchTime: 0.2)
        configuration.apiKey = "batch-test-key"
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let transport = HTTPTransport(connectionsPerHost: 2)
        defer { Task { await transport.shutdown() } }
        var provider = GeminiProvider(baseURL: emulator.baseURL, apiKey: "batch-test-key", transport: transport)
        provider.inlineLimit = 1_000
        var lines: [UInt8] = []
        for n in 0..<30 {
            let prompt = n == 7 ? "[[fail:400x1]] mug \(n)" : "mug \(n)"
            let request = ImageRequest(stage: "hero", key: "k\(n)", variant: 1, model: "gemini-2.5-flash-image", prompt: prompt, outputPath: "k\(n).png", timeout: 10)
            lines += try provider.batchLine(request, customID: "k\(n)") + [UInt8(ascii: "\n")]
        }
        let input = Fixtures.temporaryDirectory().appendingPathComponent("input.jsonl").path
        try Data(lines).write(to: URL(fileURLWithPath: input))
        let batch = try await provider.createBatch(input: input, bytes: lines.count, chunk: "chunk-file-1", model: "gemini-2.5-flash-image",
                                                   metadata: [("pipeline", "p"), ("stage", "hero")], timeout: 10)
        #expect(emulator.stats.snapshot.batches.uploads == 1 && emulator.stats.snapshot.batches.lines == 30)
        #expect(try await provider.findBatch(chunk: "chunk-file-1", timeout: 10) == batch)
        #expect(try await provider.findBatch(chunk: "chunk-other", timeout: 10) == nil)
        var state = try await provider.batchState(batch, timeout: 10)
        for _ in 0..<100 {
            if case .running = state { try await Task.sleep(for: .milliseconds(50)); state = try await provider.batchState(batch, timeout: 10) } else { break }
        }
        guard case .ended = state else { Issue.record("the batch did not end: \(state)"); return }
        let directory = Fixtures.temporaryDirectory().path
        let results = try await provider.batchResults(batch, directory: directory, timeout: 10)
        for n in 0..<30 {
            let result = try #require(await results.result(for: "k\(n)"), "no result for k\(n)")
            switch result {
            case .success(let image): #expect(n != 7 && (try? ImageInspector.inspect(image.bytes)) != nil)
            case .failure(let failure): #expect(n == 7 && failure.failureClass == .bad_request, "\(failure)")
            }
        }
        #expect(!results.has("k30"))
    }

    /// The SDKs' docs spell the states `JOB_STATE_*`; the wire says `BATCH_STATE_*`. Both are read.
    @Test func bothSpellingsOfTheStateAreRead() throws {
        let running = try JSONParser.parse(Array(#"{"name":"batches/1","metadata":{"state":"JOB_STATE_RUNNING","batchStats":{"requestCount":"4","successfulRequestCount":"1"}}}"#.utf8))
        #expect(GeminiProvider.state(of: running, id: "batches/1") == .running(status: "BATCH_STATE_RUNNING", completed: 1, failed: 0, total: 4))
        let done = try JSONParser.parse(Array(#"{"name":"batches/1","metadata":{"state":"BATCH_STATE_SUCCEEDED"},"done":true}"#.utf8))
        guard case .ended = GeminiProvider.state(of: done, id: "batches/1") else { Issue.record("not ended"); return }
        let expired = try JSONParser.parse(Array(#"{"name":"batches/1","metadata":{"state":"JOB_STATE_EXPIRED"}}"#.utf8))
        guard case .ended(_, _, let wasExpired) = GeminiProvider.state(of: expired, id: "batches/1") else { Issue.record("not ended"); return }
        #expect(wasExpired)
    }

    /// A line's error is a google.rpc.Status, whose code is a gRPC code: INTERNAL is retried as a
    /// server error, RESOURCE_EXHAUSTED is a rate limit, INVALID_ARGUMENT is the request's fault.
    @Test func aLinesErrorIsReadAsAnRPCStatus() throws {
        func failureClass(_ json: String) throws -> FailureClass? {
            guard case .failure(let failure) = GeminiProvider.lineResult(try JSONParser.parse(Array(json.utf8))) else { return nil }
            return failure.failureClass
        }
        #expect(try failureClass(#"{"key":"a","error":{"code":13,"message":"Internal error"}}"#) == .server_error)
        #expect(try failureClass(#"{"key":"a","error":{"code":8,"message":"Quota"}}"#) == .rate_limited)
        #expect(try failureClass(#"{"key":"a","error":{"code":3,"message":"Bad"}}"#) == .bad_request)
        #expect(try failureClass(#"{"key":"a","error":{"code":16,"message":"Key"}}"#) == .auth)
        #expect(try failureClass(#"{"key":"a","error":{"code":503,"message":"HTTP"}}"#) == .server_error)
    }

    /// Inline responses are found inside the operation without parsing it whole, whatever the
    /// strings hold (brackets, quotes, the key's own name).
    @Test func inlineResponsesAreCutFromTheOperation() throws {
        let document = #"{"name":"batches/1","metadata":{"displayName":"has \"inlinedResponses\": [ in it","output":{"inlinedResponses":{"inlinedResponses":["#
            + #"{"response":{"text":"a ] b } \\\" c"},"metadata":{"key":"k1"}}, {"error":{"code":500},"metadata":{"key":"k2"}}]}}}}"#
        let path = Fixtures.temporaryDirectory().appendingPathComponent("op.json").path
        try document.write(toFile: path, atomically: true, encoding: .utf8)
        var index: [String: IndexedBatchResults.Place] = [:]
        try JSONEntryScanner.arrayElements(of: path, under: "inlinedResponses", id: { $0["metadata"]?["key"]?.stringValue }, into: { index[$0] = $1 })
        #expect(index.keys.sorted() == ["k1", "k2"])
        let bytes = Array(document.utf8)
        let k2 = try #require(index["k2"])
        let entry = try JSONParser.parse(Array(bytes[Int(k2.offset)..<Int(k2.offset) + k2.length]))
        #expect(entry["error"]?["code"] == .int(500))
    }
}

/// Gemini's batch creation is not idempotent: `kill -9` right after a batch is created, and the
/// next run finds it by its display name and collects it without creating another.
@Suite struct GeminiBatchAfterACrashTests {
    @Test func aKilledRunsBatchIsCollectedWithoutANewOne() async throws {
        let (seen, dir) = try await OpenAIBatchAfterACrashTests.killAfterCreationThenRunAgain(GeminiBatchTests.yaml(), ledger: "gemini-batch-test",
                                                                                                  items: 40)
        #expect(seen.batches.creations == 1 && seen.batches.lines == 40)
        #expect(seen.byPrompt.values.allSatisfy { $0 == 1 })
        #expect(try RunCommandTests.checkImages(in: dir) == 40)
    }
}
