import Foundation
import NIOHTTP1

/// Sends the pipeline's `notify:` entries at run events: Slack incoming webhooks (`{"text": …}`)
/// and JSON webhooks (the run summary, optionally signed the Standard Webhooks way). A
/// notification that fails is retried, then reported as a warning: it never fails or hangs a run.
/// Shared by a run's tasks; the lock guards the warning handler, the one thing that changes.
public final class Notifier: @unchecked Sendable {
    public struct Summary: Sendable {
        public var pipeline: String
        public var runID: String
        public var event: NotifySpec.Event
        /// running, succeeded, failed, interrupted, budget_reached, local_fault
        public var status: String
        public var stages: [StageStats.Snapshot]
        public var costUSD: Double
        public var duration: Double
        public var manifest: String

        public init(pipeline: String, runID: String, event: NotifySpec.Event, status: String, stages: [StageStats.Snapshot],
                    costUSD: Double, duration: Double, manifest: String) {
            self.pipeline = pipeline
            self.runID = runID
            self.event = event
            self.status = status
            self.stages = stages
            self.costUSD = costUSD
            self.duration = duration
            self.manifest = manifest
        }

        var fields: [String: String] {
            func total(_ f: (StageStats.Snapshot) -> Int) -> String { String(stages.map(f).reduce(0, +)) }
            return [
                "pipeline": pipeline, "run_id": runID, "event": event.rawValue, "status": status,
                "succeeded": total(\.succeeded), "failed": total(\.failedCount), "skipped": total { $0.skipped + $0.cancelled },
                "cached": total(\.cached), "pending": total(\.submitted), "total": total(\.expected), "cost_usd": String(format: "%.2f", costUSD),
                "duration": DurationText.format(duration), "manifest": manifest,
            ]
        }

        var json: JSONValue {
            var failures: [FailureClass: Int] = [:]
            for s in stages { for (k, v) in s.failed { failures[k, default: 0] += v } }
            return .object([
                ("pipeline", .string(pipeline)), ("run_id", .string(runID)), ("event", .string(event.rawValue)), ("status", .string(status)),
                ("stages", .array(stages.map { s in
                    .object([("name", .string(s.name)), ("succeeded", .int(s.succeeded)), ("cached", .int(s.cached)),
                             ("failed", .int(s.failedCount)), ("skipped", .int(s.skipped + s.cancelled)), ("pending_remotely", .int(s.submitted)),
                             ("not_started", .int(max(0, s.expected - s.finished))), ("cost_usd", .double(s.costUSD))])
                })),
                ("pending_remotely", .int(stages.map(\.submitted).reduce(0, +))),
                ("failures_by_class", .object(failures.sorted { $0.key < $1.key }.map { ($0.key.rawValue, .int($0.value)) })),
                ("cost_usd", .double(costUSD)), ("duration_s", .double((duration * 1000).rounded() / 1000)), ("manifest", .string(manifest)),
            ])
        }
    }

    public static let attempts = 3
    public static let timeout = 10.0

    private let specs: [NotifySpec]
    private let secrets: SecretSet
    private let transport = HTTPTransport(connectionsPerHost: 2)
    /// Told about each notification that could not be delivered.
    public var onWarning: (@Sendable (String) async -> Void)? {
        get { lock.withLock { warningHandler } }
        set { lock.withLock { warningHandler = newValue } }
    }
    private let lock = NSLock()
    private var warningHandler: (@Sendable (String) async -> Void)?

    /// Waits between delivery attempts go by this clock.
    let clock: any RunClock

    public init(specs: [NotifySpec], secrets: SecretSet, clock: any RunClock = SystemClock()) {
        self.specs = specs
        self.secrets = secrets
        self.clock = clock
        for secret in specs.compactMap(\.secret) { secrets.register(secret) }
    }

    public var isEmpty: Bool { specs.isEmpty }

    /// Sends every notification that listens for this event (`failure` as well as `finish` when
    /// the run ended badly).
    public func send(_ summary: Summary) async {
        let failedRun = summary.event != .start && summary.status != "succeeded"
        for spec in specs {
            let wanted = spec.on.contains(summary.event) || (failedRun && summary.event == .finish && spec.on.contains(.failure))
            guard wanted else { continue }
            var text = Self.defaultMessage(summary)
            if let message = spec.message, let template = try? TemplateParser.parse(message.value) {
                let fields = summary.fields
                text = (try? TemplateRenderer.render(template, lookup: { fields[$0[0]] })) ?? text
            }
            if let slack = spec.slack?.value {
                let body = Array(JSONValue.object([("text", .string(text))]).serialized(pretty: false).utf8)
                await deliver(body, to: slack, headers: [("Content-Type", "application/json")], what: "Slack notification")
            } else if let webhook = spec.webhook?.value {
                var document = summary.json
                if case .object(var pairs) = document { pairs.append(("message", .string(text))); document = .object(pairs) }
                let body = Array(secrets.redact(document.serialized(pretty: false)).utf8)
                var headers = [("Content-Type", "application/json")]
                if let secret = spec.secret {
                    headers += StandardWebhookSigner(secret: secret).headers(id: "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                                                                             timestamp: Int(Date().timeIntervalSince1970), body: body)
                }
                await deliver(body, to: webhook, headers: headers, what: "webhook notification")
            }
        }
    }

    public func shutdown() async { await transport.shutdown() }

    static func defaultMessage(_ s: Summary) -> String {
        let f = s.fields
        if s.event == .start { return "imagepipe \(s.pipeline): run \(s.runID) started, \(f["total"]!) items to go through" }
        let pending = f["pending"] == "0" ? "" : ", \(f["pending"]!) pending remotely (a later run collects them)"
        return "imagepipe \(s.pipeline): run \(s.runID) \(s.status): \(f["succeeded"]!) succeeded, \(f["cached"]!) cached, \(f["failed"]!) failed, "
            + "\(f["skipped"]!) skipped\(pending); $\(f["cost_usd"]!) in \(f["duration"]!)"
    }

    private func deliver(_ body: [UInt8], to url: String, headers: [(String, String)], what: String) async {
        let body = Array(secrets.redact(String(decoding: body, as: UTF8.self)).utf8)
        var last = ""
        for attempt in 1...Self.attempts {
            do {
                let reply = try await transport.send(.POST, url, headers: headers, body: body, timeout: Self.timeout)
                if (200..<300).contains(reply.status) { return }
                last = "HTTP \(reply.status)"
                if !(reply.status == 429 || reply.status >= 500 || reply.status == 408) { break }
            } catch {
                last = error.message
            }
            if attempt < Self.attempts { try? await clock.sleep(for: 0.5 * Double(attempt)) }
        }
        // The URL itself is often the secret (Slack's is): name the host only.
        let host = URL(string: url)?.host ?? "the receiver"
        await onWarning?(secrets.redact("the \(what) to \(host) failed (\(last)); the run is not affected"))
    }
}
