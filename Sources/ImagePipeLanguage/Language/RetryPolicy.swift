import ImagePipeCore
/// When and how often a failed call is tried again.
public struct RetryPolicy: Equatable, Sendable {
    public enum Backoff: String, Sendable, CaseIterable { case exponential, constant }
    public enum Jitter: String, Sendable, CaseIterable { case full, equal, none }
    public enum Condition: String, Sendable, CaseIterable { case rate_limit, server_error, timeout, network }

    public var attempts = 3
    public var backoff = Backoff.exponential
    /// Seconds before the second attempt.
    public var initial = 1.0
    /// Seconds: no wait is ever longer.
    public var max = 30.0
    public var multiplier = 2.0
    public var jitter = Jitter.full
    public var on = Set(Condition.allCases)

    public init() {}

    public static let declaration = ObjectSpec("Retry", doc: "When and how often a failed call is tried again. Only retryable failures are retried: rate limits (429), server errors (5xx, 408), timeouts and network errors; `on` narrows that list.", fields: [
        FieldSpec("attempts", .integer(min: 1, max: 100), default: .int(3), doc: "Attempts in all, the first one included."),
        FieldSpec("backoff", .choice(Backoff.allCases.map(\.rawValue)), default: .string("exponential"), doc: "How the wait grows between attempts."),
        FieldSpec("initial", .duration, default: .string("1s"), doc: "The wait before the second attempt."),
        FieldSpec("max", .duration, default: .string("30s"), doc: "No wait is ever longer than this."),
        FieldSpec("multiplier", .number(min: 1), default: .int(2), doc: "How much the wait grows per attempt with exponential backoff."),
        FieldSpec("jitter", .choice(Jitter.allCases.map(\.rawValue)), default: .string("full"), doc: "Randomness in the wait, so that many items do not retry in lockstep: full (0 to the wait), equal (half to the wait) or none."),
        FieldSpec("on", .list(.choice(Condition.allCases.map(\.rawValue)), minCount: 1), default: .array(Condition.allCases.map { .string($0.rawValue) }), doc: "Which failures are retried."),
    ])

    /// This policy with the keys set in `object` replaced, so that a stage's `retry` refines
    /// `defaults.retry` key by key.
    public func overridden(by object: ConfigObject?) -> RetryPolicy {
        guard let object else { return self }
        var policy = self
        if let v = object.int("attempts") { policy.attempts = v }
        if let v = object.string("backoff").flatMap({ Backoff(rawValue: $0.value) }) { policy.backoff = v }
        if let v = object.duration("initial") { policy.initial = v }
        if let v = object.duration("max") { policy.max = v }
        if let v = object.double("multiplier") { policy.multiplier = v }
        if let v = object.string("jitter").flatMap({ Jitter(rawValue: $0.value) }) { policy.jitter = v }
        if let v = object.strings("on") { policy.on = Set(v.compactMap { Condition(rawValue: $0.value) }) }
        return policy
    }
}
