import Foundation

/// What the emulator does with one generation request, before the wire format is chosen.
enum EmulatorDecision: Equatable {
    case image
    case status(Int, retryAfter: Double?)
    /// The quota's bucket is empty: 429 saying so in the API's own way (limit headers, `QuotaFailure`).
    case quotaExceeded(EmulatorQuota.Reading)
    case block
    case hang
    case unauthorized
    /// HTTP 200 whose "image" is not one.
    case garbage

    /// Prompt markers make a test's failures exact: `[[fail:429x2]]` answers the first two
    /// requests for the prompt with 429, `[[fail:500x1]]` the first with 500, `[[hang:1]]` leaves
    /// the first unanswered, `[[garbage:1]]` sends
    /// bytes that are not an image the first time. Random rates and the rate limit apply to the rest.
    static func decide(prompt: String, attempt: Int, keyAccepted: Bool, configuration: EmulatorConfiguration,
                       stats: EmulatorStats, quota: EmulatorQuota? = nil) -> EmulatorDecision {
        decideWithQuota(prompt: prompt, attempt: attempt, keyAccepted: keyAccepted, configuration: configuration, stats: stats, quota: quota).decision
    }

    /// The decision, and where the quota stands after it (for the answer's rate headers).
    static func decideWithQuota(prompt: String, attempt: Int, keyAccepted: Bool, configuration: EmulatorConfiguration,
                                stats: EmulatorStats, quota: EmulatorQuota?) -> (decision: EmulatorDecision, quota: EmulatorQuota.Reading?) {
        var reading: EmulatorQuota.Reading?
        let decision = decide(prompt: prompt, attempt: attempt, keyAccepted: keyAccepted, configuration: configuration, stats: stats) {
            reading = quota?.take()
            return reading
        }
        return (decision, reading)
    }

    private static func decide(prompt: String, attempt: Int, keyAccepted: Bool, configuration: EmulatorConfiguration,
                               stats: EmulatorStats, takeQuota: () -> EmulatorQuota.Reading?) -> EmulatorDecision {
        guard keyAccepted else { return .unauthorized }
        for marker in markers(in: prompt) {
            switch marker {
            case .fail(let status, let times) where attempt <= times:
                return .status(status, retryAfter: status == 429 ? 1 : nil)
            case .hang(let times) where attempt <= times:
                return .hang
            case .garbage(let times) where attempt <= times:
                return .garbage
            default:
                continue
            }
        }
        if prompt.contains(configuration.blockMarker) { return .block }
        if let reading = takeQuota(), !reading.granted { return .quotaExceeded(reading) }
        if configuration.throttleRate > 0, Double.random(in: 0..<1) < configuration.throttleRate { return .status(429, retryAfter: 1) }
        if let rpm = configuration.rateLimitRPM {
            // Counted after this request's own arrival: more than the limit in the last minute is too many.
            let recent = stats.recentArrivals(within: 60)
            if Double(recent.count) > rpm { return .status(429, retryAfter: max(1, (recent.oldest ?? 1).rounded(.up))) }
        }
        if configuration.hangRate > 0, Double.random(in: 0..<1) < configuration.hangRate { return .hang }
        if configuration.errorRate > 0, Double.random(in: 0..<1) < configuration.errorRate { return .status(500, retryAfter: nil) }
        return .image
    }

    enum Marker: Equatable {
        case fail(status: Int, times: Int)
        case hang(times: Int)
        case garbage(times: Int)
    }

    static func markers(in prompt: String) -> [Marker] {
        var out: [Marker] = []
        var rest = prompt[...]
        while let open = rest.range(of: "[["), let close = rest[open.upperBound...].range(of: "]]") {
            let body = rest[open.upperBound..<close.lowerBound]
            rest = rest[close.upperBound...]
            let parts = body.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "fail":
                let spec = parts[1].split(separator: "x")
                if spec.count == 2, let status = Int(spec[0]), let times = Int(spec[1]) { out.append(.fail(status: status, times: times)) }
            case "hang":
                if let times = Int(parts[1]) { out.append(.hang(times: times)) }
            case "garbage":
                if let times = Int(parts[1]) { out.append(.garbage(times: times)) }
            default:
                continue
            }
        }
        return out
    }
}
