import Crypto
import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipePlan
import ImagePipeEmulator

/// `run --listen` against the emulator's signed deliveries over loopback: a valid delivery ends a
/// job's wait, forged, replayed, unsigned or foreign ones are refused and change nothing, a
/// duplicate is harmless, and with every delivery lost the run still finishes by polling.
@Suite struct WebhookReceiverTests {
    static let items = 5

    static func yaml(kind: String, fallback: String = "30s") -> String {
        let extra = kind == "fal"
            ? ", jwks_url: \"{{BASE}}/fal/.well-known/jwks.json\""
            : ", webhook_secret: \"\(EmulatorConfiguration().webhookSecret)\", sync_wait: 0s"
        let model = kind == "fal" ? "fal-ai/bytedance/seedream/v4/text-to-image" : "bytedance/seedream-4"
        return QueuedProviderTests.yaml(kind: kind, model: model, provider: ", fallback_poll_interval: \(fallback)\(extra)")
    }

    /// A run waiting on `items` jobs with `--listen` on a free port; `during` runs once every job is submitted.
    static func run(kind: String, configuration: EmulatorConfiguration, fallback: String = "30s", control: RunControl = RunControl(),
                    during: @escaping @Sendable (Emulator, String) async throws -> Void = { _, _ in }) async throws -> (RunHarness.Outcome, Emulator) {
        let emulator = Emulator(configuration: configuration, threads: 1)
        try await emulator.start()
        let port = try LoopbackSocket.closedPort()
        let receiver = "http://127.0.0.1:\(port)/imagepipe/webhooks/q"
        var options = RunOptions()
        options.listen = RunOptions.Listen(host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)")
        let meddler = Task {
            await Wait.until("every job is submitted") { emulator.stats.snapshot.queue.submitted == items }
            try await during(emulator, receiver)
        }
        let run = try await RunHarness.run(yaml(kind: kind, fallback: fallback), files: ["products.csv": RunHarness.products(items)], server: emulator,
                                           options: options, control: control)
        try await meddler.value
        return (run, emulator)
    }

    static func post(_ url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        let transport = HTTPTransport(connectionsPerHost: 1)
        defer { Task { await transport.shutdown() } }
        return try await transport.send(.POST, url, headers: headers, body: body, timeout: 5).status
    }

    /// Forged deliveries while the jobs wait (30 s, longer than the test): each refused, and no
    /// job woken; then the run is interrupted.
    @Test(arguments: ["fal", "replicate"])
    func forgedReplayedUnsignedAndForeignDeliveriesChangeNothing(kind: String) async throws {
        let configuration = QueuedProviderTests.emulator(queueTime: 30)
        let control = RunControl()
        let (run, emulator) = try await Self.run(kind: kind, configuration: configuration, control: control) { emulator, receiver in
            let job = try #require(emulator.stats.jobs.ids.first)
            let now = Int(Date().timeIntervalSince1970)
            var statuses: [String: Int] = [:]
            if kind == "fal" {
                let body = Array("{\"request_id\":\"\(job)\",\"status\":\"OK\",\"payload\":{}}".utf8)
                let other = try Curve25519.Signing.PrivateKey()
                statuses["unsigned"] = try await Self.post(receiver, headers: [("Content-Type", "application/json")], body: body)
                statuses["wrong key"] = try await Self.post(receiver, headers: EmulatorWebhooks.falHeaders(requestID: job, body: body, timestamp: now, key: other), body: body)
                statuses["old timestamp"] = try await Self.post(receiver, headers: EmulatorWebhooks.falHeaders(requestID: job, body: body, timestamp: now - 600), body: body)
                statuses["changed body"] = try await Self.post(receiver, headers: EmulatorWebhooks.falHeaders(requestID: job, body: body, timestamp: now),
                                                               body: body + Array(" ".utf8))
                var wrong = EmulatorWebhooks.falHeaders(requestID: job, body: body, timestamp: now)
                wrong[wrong.firstIndex { $0.0 == "X-Fal-Webhook-Signature" }!].1 = String(repeating: "ab", count: 64)
                statuses["wrong signature"] = try await Self.post(receiver, headers: wrong, body: body)
                let foreign = Array("{\"request_id\":\"not-ours\",\"status\":\"OK\"}".utf8)
                statuses["not this run's"] = try await Self.post(receiver, headers: EmulatorWebhooks.falHeaders(requestID: "not-ours", body: foreign, timestamp: now), body: foreign)
            } else {
                let body = Array("{\"id\":\"\(job)\",\"status\":\"succeeded\"}".utf8)
                let signer = StandardWebhookSigner(secret: configuration.webhookSecret)
                let other = StandardWebhookSigner(secret: "whsec_" + Data("another-secret".utf8).base64EncodedString())
                let json = [("Content-Type", "application/json")]
                statuses["unsigned"] = try await Self.post(receiver, headers: json, body: body)
                statuses["wrong key"] = try await Self.post(receiver, headers: json + other.headers(id: "msg_1", timestamp: now, body: body), body: body)
                statuses["old timestamp"] = try await Self.post(receiver, headers: json + signer.headers(id: "msg_2", timestamp: now - 600, body: body), body: body)
                statuses["changed body"] = try await Self.post(receiver, headers: json + signer.headers(id: "msg_3", timestamp: now, body: body), body: body + Array(" ".utf8))
                statuses["wrong signature"] = try await Self.post(receiver, headers: json + [("webhook-id", "msg_4"), ("webhook-timestamp", String(now)),
                                                                                            ("webhook-signature", "v1,AAAA")], body: body)
                let foreign = Array("{\"id\":\"not-ours\",\"status\":\"succeeded\"}".utf8)
                statuses["not this run's"] = try await Self.post(receiver, headers: json + signer.headers(id: "msg_5", timestamp: now, body: foreign), body: foreign)
            }
            #expect(statuses.filter { $0.key != "not this run's" }.values.allSatisfy { $0 == 401 }, "\(statuses)")
            #expect(statuses["not this run's"] == 404)
            // Nothing was woken: no status request has gone out (the fallback is 30 s away).
            try await Task.sleep(for: .milliseconds(500))
            #expect(emulator.stats.snapshot.queue.polls == 0)
            control.stop(.interrupted)
        }
        defer { Task { await emulator.stop() } }
        let queue = try #require(run.result.queues.first)
        #expect(queue.deliveries == 0 && queue.refusedDeliveries == 6, "\(queue)")
        #expect(run.stage("hero").succeeded == 0)
    }

    /// Each job ends when its delivery comes (the fallback poll is 30 s away); every delivery is
    /// sent twice, and the duplicates change nothing.
    @Test(arguments: ["fal", "replicate"])
    func aDeliveryEndsTheWaitAndItsDuplicateIsHarmless(kind: String) async throws {
        var configuration = QueuedProviderTests.emulator(queueTime: 1)
        configuration.webhookDuplicates = 1
        let (run, emulator) = try await Self.run(kind: kind, configuration: configuration)
        defer { Task { await emulator.stop() } }
        #expect(run.stage("hero").succeeded == Self.items)
        let queue = try #require(run.result.queues.first)
        #expect(queue.deliveries == Self.items && queue.refusedDeliveries == 0, "\(queue)")
        // Each signed delivery carries its result: no status request at all (the fallback is 30 s
        // away); the duplicates changed nothing.
        #expect(emulator.stats.snapshot.queue.polls == 0 && emulator.stats.snapshot.queue.results == 0)
        // The last duplicates may still be on their way when the run ends.
        await Wait.until("every delivery and its duplicate are answered") { emulator.stats.webhooks.counts.answers.values.reduce(0, +) >= 2 * Self.items }
        #expect(emulator.stats.webhooks.counts.answers[200] ?? 0 >= Self.items)
        #expect(emulator.stats.snapshot.queue.submitted == Self.items)
    }

    /// A delivery that says the job failed is a failed attempt, submitted again under the policy.
    @Test(arguments: ["fal", "replicate"])
    func aDeliveredFailureIsSubmittedAgain(kind: String) async throws {
        let emulator = Emulator(configuration: QueuedProviderTests.emulator(queueTime: 0.5), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let port = try LoopbackSocket.closedPort()
        var options = RunOptions()
        options.listen = RunOptions.Listen(host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)")
        let run = try await RunHarness.run(Self.yaml(kind: kind), files: ["products.csv": "sku,name\nA1,[[job-fail:1]] Red mug\n"], server: emulator,
                                           options: options)
        let line = try #require(run.lines(stage: "hero").first)
        #expect(line["status"] as? String == "succeeded" && line["attempts"] as? Int == 2, "\(line)")
        #expect(emulator.stats.snapshot.queue.submitted == 2 && emulator.stats.snapshot.queue.polls == 0)
    }

    /// With status requests queued behind a slow `poll_rate_limit`, a delivery still ends its
    /// job's wait at once rather than after the job's turn to be asked.
    @Test func aDeliveryOvertakesTheQueueOfStatusRequests() async throws {
        let emulator = Emulator(configuration: QueuedProviderTests.emulator(queueTime: 1), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let port = try LoopbackSocket.closedPort()
        var options = RunOptions()
        options.listen = RunOptions.Listen(host: "127.0.0.1", port: port, publicURL: "http://127.0.0.1:\(port)")
        let yaml = Self.yaml(kind: "fal", fallback: "500ms").replacingOccurrences(of: "poll_interval: 200ms", with: "poll_interval: 200ms, poll_rate_limit: { requests_per_second: 1 }")
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(40)], server: emulator, options: options)
        #expect(run.stage("hero").succeeded == 40)
        // At one status request a second, 40 jobs would need 40 s of them; the deliveries need none.
        #expect(emulator.stats.snapshot.queue.polls < 20, "\(emulator.stats.snapshot.queue.polls) status requests")
    }

    @Test func everyDeliveryLostStillFinishesByPolling() async throws {
        var configuration = QueuedProviderTests.emulator(queueTime: 0.5)
        configuration.webhookLoss = 1
        let (run, emulator) = try await Self.run(kind: "fal", configuration: configuration, fallback: "1s")
        defer { Task { await emulator.stop() } }
        #expect(run.stage("hero").succeeded == Self.items)
        #expect(run.result.queues.first?.deliveries == 0)
        await Wait.until("every delivery is dropped") { emulator.stats.webhooks.counts.dropped == Self.items }
    }

    @Test func aPortInUseIsASetupError() async throws {
        let taken = try LoopbackSocket(listening: true)
        defer { taken.close() }
        var options = RunOptions()
        options.listen = RunOptions.Listen(host: "127.0.0.1", port: taken.port, publicURL: "http://127.0.0.1:\(taken.port)")
        await #expect { try await RunHarness.run(Self.yaml(kind: "fal"), files: ["products.csv": RunHarness.products(1)],
                                                 emulator: QueuedProviderTests.emulator(queueTime: 0.1), options: options) } throws: { error in
            "\(error)".contains("cannot listen on 127.0.0.1:\(taken.port) for webhooks: the port is in use")
        }
    }
}
