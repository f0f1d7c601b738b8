import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

@Suite struct NotifierTests {
    /// The Standard Webhooks specification's own example.
    @Test func signsTheStandardWebhooksWay() {
        let signer = StandardWebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    static func summary(_ event: NotifySpec.Event, status: String) -> Notifier.Summary {
        var hero = StageStats(name: "hero", expected: 3).snapshot
        hero.succeeded = 2
        hero.failed = [.content_policy: 1]
        return Notifier.Summary(pipeline: "demo", runID: "7", event: event, status: status, stages: [hero], costUSD: 0.078, duration: 3.2,
                                manifest: "out/manifest.jsonl")
    }

    /// Items a run left waiting in remote batches are said, in the text and the document.
    @Test func itemsPendingRemotelyAreCounted() {
        var summary = Self.summary(.finish, status: "pending_remotely")
        summary.stages[0].submitted = 40
        #expect(Notifier.defaultMessage(summary).contains("1 failed, 0 skipped, 40 pending remotely (a later run collects them); $0.08"),
                "\(Notifier.defaultMessage(summary))")
        #expect(summary.fields["pending"] == "40")
        #expect(summary.json["pending_remotely"] == .int(40))
        #expect(!Notifier.defaultMessage(Self.summary(.finish, status: "succeeded")).contains("pending"))
    }

    @Test func webhookCarriesTheSummaryAndAVerifiableSignature() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: demo
        notify:
          - webhook: \(emulator.baseURL)/capture/hooks/run
            on: [failure]
            secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
          - slack: \(emulator.baseURL)/capture/slack/x
            on: [start]
        """)
        let notifier = Notifier(specs: try #require(outcome.pipeline).spec.notify, secrets: SecretSet())
        await notifier.send(Self.summary(.start, status: "running"))
        await notifier.send(Self.summary(.finish, status: "failed"))
        await notifier.shutdown()
        let captured = emulator.stats.captured
        #expect(captured.count == 2)
        let hook = try #require(captured.first { $0.path == "/capture/hooks/run" })
        func header(_ name: String) -> String? { hook.headers.first { $0.0.lowercased() == name }?.1 }
        let id = try #require(header("webhook-id")), timestamp = try #require(header("webhook-timestamp").flatMap(Int.init))
        let expected = StandardWebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").signature(id: id, timestamp: timestamp, body: Array(hook.body.utf8))
        #expect(header("webhook-signature") == expected)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(hook.body.utf8)) as? [String: Any])
        #expect(document["event"] as? String == "finish" && document["status"] as? String == "failed")
        #expect((document["failures_by_class"] as? [String: Int])?["content_policy"] == 1)
        #expect(document["manifest"] as? String == "out/manifest.jsonl")
        let slack = try #require(captured.first { $0.path == "/capture/slack/x" })
        #expect(slack.body.contains("run 7 started"))
    }

    /// A message is a JSON string built by the JSON writer: quotes, backslashes and line breaks in
    /// the template or its values cannot change the document.
    @Test func messagesAreJSONEscaped() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: demo
        notify:
          - slack: \(emulator.baseURL)/capture/slack/x
            on: [finish]
            message: "said \\"{{ manifest }}\\"\\n\\\\ done"
        """)
        let notifier = Notifier(specs: try #require(outcome.pipeline, "\(Fixtures.lines(outcome))").spec.notify, secrets: SecretSet())
        var summary = Self.summary(.finish, status: "failed")
        summary.manifest = "out/\"}, \"x\": 1\n.jsonl"
        await notifier.send(summary)
        await notifier.shutdown()
        let slack = try #require(emulator.stats.captured.first)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(slack.body.utf8)) as? [String: Any])
        #expect(document.count == 1)
        #expect(document["text"] as? String == "said \"out/\"}, \"x\": 1\n.jsonl\"\n\\ done")
    }

    @Test func aFailingReceiverIsAWarningNotAFailure() async throws {
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: demo
        notify:
          - slack: http://127.0.0.1:9/hooks/secret-path
        """)
        let notifier = Notifier(specs: try #require(outcome.pipeline).spec.notify, secrets: SecretSet())
        let warnings = WarningLog()
        notifier.onWarning = { warnings.add($0) }
        let start = ContinuousClock.now
        await notifier.send(Self.summary(.finish, status: "succeeded"))
        await notifier.shutdown()
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains("the Slack notification to 127.0.0.1 failed") == true)
        #expect(warnings.all.first?.contains("secret-path") == false)
    }

    final class WarningLog: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.withLock { items.append(s) } }
        var all: [String] { lock.withLock { items } }
    }
}
