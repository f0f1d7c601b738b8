import ImagePipeCore
/// A provider's request rate: a token bucket of `burst` tokens refilled at the given rate.
public struct RateLimit: Equatable, Sendable {
    public var requestsPerSecond: Double
    public var burst: Int

    public static let declaration = ObjectSpec("RateLimit", doc: "The most requests per minute or per second sent to the provider, across all stages that use it.", fields: [
        FieldSpec("requests_per_minute", .number(min: 0, exclusiveMinimum: true), doc: "Requests per minute."),
        FieldSpec("requests_per_second", .number(min: 0, exclusiveMinimum: true), doc: "Requests per second."),
        FieldSpec("burst", .integer(min: 1), default: .int(1), doc: "Requests that may start at once after an idle spell."),
    ], exactlyOne: [["requests_per_minute", "requests_per_second"]])

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }

    package init?(_ object: ConfigObject?) {
        guard let object else { return nil }
        if let perMinute = object.double("requests_per_minute") {
            requestsPerSecond = perMinute / 60
        } else if let perSecond = object.double("requests_per_second") {
            requestsPerSecond = perSecond
        } else {
            return nil
        }
        burst = object.int("burst") ?? 1
    }
}
