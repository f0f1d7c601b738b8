/// What a provider's answers said about its limits during a run: how many were throttled and
/// the pace the adaptive control settled at, for the progress line, the summary and `status`.
public struct ProviderTraffic: Sendable, Equatable {
    public var provider: String
    /// Requests the provider answered (any status).
    public var answered: Int
    /// Of those, answered 429.
    public var throttled: Int
    /// Requests per second the run was held to at the end; nil when nothing held it back.
    public var pace: Double?
    /// What the pace was learned from ("rate headers", "stated quota", "429s"), or nil.
    public var learnedFrom: String?
    /// Requests per second actually sent, smoothed over the last second or so.
    public var sending: Double?
    /// Seconds still to wait for a used-up quota's reset.
    public var pausedFor: Double?
    /// Whether the control was on (`adaptive: true`).
    public var adaptive: Bool

    public init(provider: String, answered: Int, throttled: Int, pace: Double? = nil, learnedFrom: String? = nil,
                sending: Double? = nil, pausedFor: Double? = nil, adaptive: Bool = true) {
        self.provider = provider
        self.answered = answered
        self.throttled = throttled
        self.pace = pace
        self.learnedFrom = learnedFrom
        self.sending = sending
        self.pausedFor = pausedFor
        self.adaptive = adaptive
    }

    /// "emu: 7 of 1,207 answers were 429 (0.6%); paced at 38.8/s (learned from rate headers)"
    public var summary: String {
        var text = "\(provider): "
        if throttled == 0 {
            text += "\(answered) answers, none throttled"
        } else {
            let share = Double(throttled) / Double(max(1, answered)) * 100
            text += "\(throttled) of \(answered) answers were 429 (\(String(format: share < 10 ? "%.1f" : "%.0f", share))%)"
        }
        if let pace {
            text += "; paced at \(Self.rate(pace))"
            if let learnedFrom { text += " (learned from \(learnedFrom))" }
        } else if throttled > 0, adaptive {
            text += "; not held back (429s were occasional: only the refused requests waited)"
        }
        return text
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 10 ? String(format: "%.0f/s", perSecond) : perSecond >= 1 ? String(format: "%.1f/s", perSecond) : String(format: "%.1f/min", perSecond * 60)
    }
}
