import Foundation

/// What one answer says about the provider's limits: OpenAI-style `x-ratelimit-*` headers on
/// every answer, Google's `QuotaFailure` and `RetryInfo` on a 429, the wait a 429 asks for.
public struct RateSignal: Equatable, Sendable {
    /// A window of requests as the `x-ratelimit-*-requests` (or `-tokens`) headers describe it.
    public struct Window: Equatable, Sendable {
        /// The bucket's size.
        public var limit: Double
        public var remaining: Double
        /// Seconds until the bucket is full again.
        public var resetSeconds: Double

        /// The rate the bucket refills at, when this answer shows enough to tell: it has
        /// `limit − remaining` missing and is full again in `resetSeconds`.
        public var refillPerSecond: Double? {
            let missing = limit - remaining
            guard missing >= 1, resetSeconds > 0 else { return nil }
            return missing / resetSeconds
        }
    }

    /// A quota Google names in a `QuotaFailure` violation: so many requests per period.
    public struct Quota: Equatable, Sendable {
        public var id: String
        public var value: Double
        public var periodSeconds: Double
        public var perSecond: Double { value / periodSeconds }
    }

    public var status: Int
    public var requests: Window?
    public var tokens: Window?
    public var quota: Quota?
    /// The wait the answer asks for (Retry-After, retry-after-ms, RetryInfo).
    public var retryAfter: Double?

    public init(status: Int, requests: Window? = nil, tokens: Window? = nil, quota: Quota? = nil, retryAfter: Double? = nil) {
        self.status = status
        self.requests = requests
        self.tokens = tokens
        self.quota = quota
        self.retryAfter = retryAfter
    }

    /// Reads an answer; nil when it says nothing about limits (most successes of most APIs).
    public init?(reply: HTTPReply) {
        status = reply.status
        requests = Self.window(reply, "requests")
        tokens = Self.window(reply, "tokens")
        if reply.status == 429 {
            let body = reply.json
            retryAfter = RetryAfter.seconds(headers: reply.headers) ?? RetryAfter.seconds(googleError: body)
            quota = Self.quota(googleError: body)
        }
        guard status == 429 || requests != nil || tokens != nil else { return nil }
    }

    /// Whether the answer says a bucket is empty: the refusal is the limit, not chance.
    public var showsLimitReached: Bool {
        (requests.map { $0.remaining < 1 } ?? false) || (tokens.map { $0.remaining < 1 } ?? false) || quota != nil
    }

    /// Whether the answer says the quota is used up for a long while (a daily quota, or an
    /// empty bucket that refills in minutes): then nothing should be sent until the reset.
    public var showsQuotaExhausted: Bool {
        if let quota, quota.periodSeconds >= 3600 { return true }
        guard showsLimitReached, let wait = retryAfter ?? longestEmptyReset else { return false }
        return wait >= Self.exhaustedAfter
    }

    /// An empty bucket that takes this long to give one more request is a used-up quota.
    public static let exhaustedAfter = 20.0

    private var longestEmptyReset: Double? {
        [requests, tokens].compactMap { $0 }.filter { $0.remaining < 1 }.map {
            // One unit back, not the whole bucket.
            $0.refillPerSecond.map { 1 / $0 } ?? $0.resetSeconds
        }.max()
    }

    private static func window(_ reply: HTTPReply, _ unit: String) -> Window? {
        guard let limit = reply.header("x-ratelimit-limit-\(unit)").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
              let remaining = reply.header("x-ratelimit-remaining-\(unit)").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
              let reset = reply.header("x-ratelimit-reset-\(unit)").flatMap(goDuration) else { return nil }
        return Window(limit: limit, remaining: remaining, resetSeconds: reset)
    }

    /// Google's `QuotaFailure` detail: the first violation whose `quotaId` names its period
    /// (`GenerateRequestsPerMinutePerProjectPerModel`) and whose `quotaValue` is a number.
    static func quota(googleError body: JSONValue?) -> Quota? {
        guard case .array(let details)? = body?["error"]?["details"] else { return nil }
        for detail in details {
            guard case .string(let type)? = detail["@type"], type.hasSuffix("google.rpc.QuotaFailure"),
                  case .array(let violations)? = detail["violations"] else { continue }
            for violation in violations {
                guard case .string(let id)? = violation["quotaId"] else { continue }
                let value: Double?
                switch violation["quotaValue"] {
                case .string(let text)?: value = Double(text)
                case .int(let n)?: value = Double(n)
                default: value = nil
                }
                let periods: [(String, Double)] = [("PerSecond", 1), ("PerMinute", 60), ("PerHour", 3600), ("PerDay", 86_400)]
                guard let value, value > 0, let period = periods.first(where: { id.contains($0.0) })?.1 else { continue }
                return Quota(id: id, value: value, periodSeconds: period)
            }
        }
        return nil
    }

    /// A Go duration as OpenAI writes its resets: `1s`, `6m0s`, `20ms`, `1.5s`, `1h2m3.5s`.
    public static func goDuration(_ text: String) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            case "us", "µs": total += value / 1_000_000
            case "ns": total += value / 1_000_000_000
            default: return nil
            }
        }
        return total
    }
}
