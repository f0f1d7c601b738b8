import ImagePipeCore
/// A Slack message or webhook call at run events.
public struct NotifySpec: Sendable {
    public enum Event: String, Sendable, CaseIterable { case start, finish, failure }

    public var location: SourceLocation
    public var slack: Located<String>?
    public var webhook: Located<String>?
    public var on: [Event]
    public var message: Located<String>?
    /// The Standard Webhooks signing secret (`whsec_…`); a secret, never printed.
    public var secret: String?

    /// What `message:` templates see.
    public static let summaryFields = ["pipeline", "run_id", "event", "status", "succeeded", "failed", "skipped", "cached", "pending",
                                       "total", "cost_usd", "duration", "manifest"]

    public static let declaration = ObjectSpec("Notify", doc: "A notification at run events: a Slack incoming webhook or a generic JSON webhook.", fields: [
        FieldSpec("slack", .url, secret: .secret, doc: "A Slack incoming-webhook URL, normally `${SLACK_WEBHOOK}`."),
        FieldSpec("webhook", .url, secret: .secret, doc: "A URL that receives the run summary as JSON."),
        FieldSpec("on", .list(.choice(Event.allCases.map(\.rawValue)), minCount: 1), default: .array([.string("finish")]), doc: "The events: `start`, `finish` (every end), `failure` (an end with failures, or aborted)."),
        FieldSpec("message", .template, doc: "The text, a template over " + summaryFields.joined(separator: ", ") + "."),
        FieldSpec("secret", .string(), secret: .secret, doc: "A signing secret for `webhook`: the body is signed the Standard Webhooks way."),
    ], exactlyOne: [["slack", "webhook"]])

    package init(_ o: ConfigObject) {
        location = o.location
        slack = o.string("slack")
        webhook = o.string("webhook")
        on = o.strings("on")?.compactMap { Event(rawValue: $0.value) } ?? [.finish]
        message = o.string("message")
        secret = o.string("secret")?.value
    }
}
