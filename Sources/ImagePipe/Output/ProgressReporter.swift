import Foundation

/// Progress on stderr while a run goes: on a terminal a live line per stage, redrawn a few
/// times a second; elsewhere (CI, a pipe) a plain line every few seconds. Failures get a line
/// of their own as they happen in both.
public final class ProgressReporter: @unchecked Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case auto, live, plain, none
    }

    private let stats: [StageStats]
    private let mode: Mode
    private let interval: Double
    private let secrets: SecretSet
    private let lock = NSLock()
    private var drawnLines = 0
    private var task: Task<Void, Never>?
    private let start = ContinuousClock.now
    /// Failure lines shown in full; after that they are counted, so that 10,000 failures do not
    /// bury the terminal (the manifest has every one).
    public static let failureLinesShown = 50
    private var failureLines = 0
    /// Failures that repeat one already shown (a refused key, a server that is down): said once,
    /// then counted, and the count said when the run ends.
    private var repeats: [String: (stage: String, count: Int, what: String)] = [:]
    private var repeatOrder: [String] = []

    /// Each provider's traffic now, for a line per provider that pushes back.
    private let traffic: @Sendable () -> [ProviderTraffic]

    public init(stats: [StageStats], mode: Mode, interval: Double, secrets: SecretSet,
                traffic: @escaping @Sendable () -> [ProviderTraffic] = { [] }) {
        self.stats = stats
        self.traffic = traffic
        self.secrets = secrets
        if mode == .auto {
            self.mode = isatty(STDERR_FILENO) == 1 ? .live : .plain
        } else {
            self.mode = mode
        }
        self.interval = self.mode == .live ? 0.2 : interval
    }

    public func begin() {
        guard mode != .none else { return }
        task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(self?.interval ?? 1))
                if Task.isCancelled { return }
                self?.draw()
            }
        }
    }

    public func end() {
        task?.cancel()
        guard mode != .none else { return }
        draw()
        let counted = lock.withLock { repeatOrder.compactMap { repeats[$0] }.filter { $0.count > 0 } }
        for repeated in counted {
            message("\(repeated.stage): \(repeated.count) more item\(repeated.count == 1 ? "" : "s") ended the same way (\(repeated.what))")
        }
    }

    public func failure(_ outcome: ItemOutcome) {
        guard mode != .none else { return }
        lock.withLock {
            let what = (outcome.failureClass.map { $0.rawValue + ": " } ?? "") + (outcome.message ?? "")
            let sameAs = "\(outcome.stage)\u{0}\(outcome.status)\u{0}\(what)"
            if repeats[sameAs] != nil {
                repeats[sameAs]!.count += 1
                return
            }
            repeats[sameAs] = (outcome.stage, 0, what)
            repeatOrder.append(sameAs)
            failureLines += 1
            guard failureLines <= Self.failureLinesShown else { return }
            var item = outcome.key
            if let variant = outcome.variant, variant > 1 { item += " #\(variant)" }
            var line = "\(outcome.status == .skipped ? "skipped" : "failed"): \(outcome.stage) \(item): "
            if let failureClass = outcome.failureClass { line += failureClass.rawValue + ": " }
            line += outcome.message ?? ""
            if outcome.attempts > 1 { line += " (after \(outcome.attempts) attempts)" }
            if failureLines == Self.failureLinesShown { line += "\n(further failures are counted below and listed in the manifest)" }
            write(clearLocked() + secrets.redact(line) + "\n")
            drawnLines = 0
        }
    }

    public func message(_ text: String) {
        lock.withLock {
            write(clearLocked() + secrets.redact(text) + "\n")
            drawnLines = 0
        }
    }

    private func clearLocked() -> String {
        guard mode == .live, drawnLines > 0 else { return "" }
        return "\u{1B}[\(drawnLines)F\u{1B}[J"
    }

    private func draw() {
        let elapsed = (ContinuousClock.now - start).inSeconds
        let snapshots = stats.map(\.snapshot)
        let width = snapshots.map(\.name.count).max() ?? 0
        var lines: [String] = []
        for s in snapshots {
            let done = s.succeeded + s.failedCount
            var line = s.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(s.finished)/\(s.expected)"
            if s.cached > 0 { line += "  \(s.cached) cached" }
            if s.failedCount > 0 { line += "  \(s.failedCount) failed" }
            if s.skipped > 0 { line += "  \(s.skipped) skipped" }
            line += "  \(s.inFlight) in flight"
            if let first = s.firstStart, done > 0 {
                let active = max(0.001, (ContinuousClock.now - first).inSeconds)
                let rate = Double(done) / active
                line += String(format: "  %.1f/s", rate)
                let left = s.expected - s.finished
                if left > 0, rate > 0 { line += "  ETA " + DurationText.format(Double(left) / rate) }
            }
            lines.append(line)
        }
        for t in traffic() where t.throttled > 0 || (t.pace != nil && t.learnedFrom != "rate_limit") || t.pausedFor != nil {
            lines.append(Self.line(t))
        }
        lock.withLock {
            if mode == .live {
                write(clearLocked() + lines.joined(separator: "\n") + "\n")
                drawnLines = lines.count
            } else {
                write("[\(DurationText.format(elapsed))] " + lines.joined(separator: " | ") + "\n")
            }
        }
    }

    /// "provider emu  sending 38.6/s  paced at 39/s (rate headers)  7 throttled"
    static func line(_ t: ProviderTraffic) -> String {
        var line = "provider \(t.provider)"
        if let sending = t.sending { line += "  sending " + ProviderTraffic.rate(sending) }
        if let paused = t.pausedFor { line += "  quota used up: waiting \(DurationText.format(paused)) for its reset" }
        if let pace = t.pace { line += "  paced at " + ProviderTraffic.rate(pace) + (t.learnedFrom.map { " (\($0))" } ?? "") }
        if t.throttled > 0 { line += "  \(t.throttled) throttled" }
        return line
    }

    private func write(_ text: String) {
        StandardStream.error.write(text)
    }
}

extension ProgressReporter: RunEventConsumer {
    public func handle(_ event: RunEvent) async {
        switch event {
        case .finished(let outcome, _) where outcome.status == .failed || outcome.status == .skipped: failure(outcome)
        case .warning(let text): message("warning: " + text)
        default: break
        }
    }
}
