import Foundation

/// Learns how fast a provider may be called, from what its answers say, and sets its
/// `RateLimiter`'s pace. Three kinds of knowledge, strongest first:
///
/// - **Rate headers** (OpenAI's `x-ratelimit-*-requests`): the bucket's size, what is left and
///   when it is full again give its refill rate. Requests go unpaced while the bucket has room
///   (beyond a quarter of it, kept in reserve for jitter) and at just under the refill rate after,
///   so the limit is met before it is hit.
/// - **A stated quota** (Google's `QuotaFailure` on a 429, e.g. 2,400 per minute): paced just
///   under it from then on.
/// - **Throttling alone** (429s that say nothing, or only that the token bucket is empty):
///   AIMD. A few 429s among many answers are the provider shedding load at random; only the
///   throttled requests wait (their Retry-After). When 429s become frequent (1 in 20 of the last
///   200 answers and at least 8, or 3 in a row), or one says the token bucket is empty, the pace
///   drops to 0.7 of what got through, climbs back to it in 3 s, then probes above it (a
///   quarter more each second) until refused again or no longer binding.
///
/// A 429 that says the quota is used up for a long while (a daily quota; an empty bucket that
/// refills in minutes) pauses every request until the reset it names. Nothing here ever goes
/// above `rate_limit`: the limiter keeps that ceiling. While a pace applies, calls in flight are
/// capped at what it needs at the latency measured (twice the pace times the latency, plus two),
/// so a provider that answers slower is not sent more at once; `concurrency` stays the ceiling.
final class AdaptiveRate: ReplyObserver, @unchecked Sendable {
    /// Below the rate a provider states, to absorb its rounding and clocks.
    static let margin = 0.97
    /// A learned pace still refused for a second or more is lowered by this much.
    static let correction = 0.9
    /// The pace after a burst of unexplained 429s, as a share of the rate measured.
    static let backoff = 0.7
    /// Recent answers weighed for "frequent": this many, and this share of them throttled but
    /// never fewer than `fewest` (1% at random gives 10 of 200 about once in 1,000 tries, and 8 of
    /// 100 once in 100,000).
    static let window = 200
    static let frequent = 0.05
    static let fewest = 8
    static let inARow = 3

    enum Source: String, Sendable {
        case headers = "rate headers"
        case quota = "stated quota"
        case throttling = "429s"
    }

    let limiter: RateLimiter
    private let clock: any RunClock
    private let lock = NSLock()
    private var answeredCount = 0
    private var throttledCount = 0
    private var source: Source?
    private var sendCount = 0
    /// The first refusal of requests sent under a learned pace, while refusals keep coming.
    private var refusedPacedSince: ContinuousClock.Instant?
    private var lastPacedRefusal: ContinuousClock.Instant?

    // Rate headers: the refill rate as a ratio of smoothed "missing" and "seconds to full".
    private var missing: Double?
    private var toFull: Double?
    // A stated quota.
    private var quotaRate: Double?
    /// Lowered when a pace learned from headers or a quota is still refused.
    private var factor = margin
    // AIMD on unexplained 429s.
    private var recent: [Bool] = []
    private var recentNext = 0
    private var throttledInARow = 0
    private var aimd: Double?
    private var climb = 0.0
    private var rateAtCut = 0.0
    private var lastCut: ContinuousClock.Instant?
    private var lastClimb: ContinuousClock.Instant?
    private var lastReleaseCheck: ContinuousClock.Instant?
    /// When the latest requests went out, and when the latest were accepted (rings), for the
    /// rates actually sent and let through.
    private var sendTimes = TimeRing()
    private var acceptTimes = TimeRing()
    private var pausedUntil: ContinuousClock.Instant?
    // How long answers take, for how soon a cut can show its effect.
    private var sentAt: [Int: (at: ContinuousClock.Instant, paced: Bool)] = [:]
    private var latency = 0.0

    init(limiter: RateLimiter) {
        self.limiter = limiter
        clock = limiter.clock
    }

    func traffic(provider: String) -> ProviderTraffic {
        lock.withLock {
            let now = clock.now
            let pace = settledPace
            return ProviderTraffic(provider: provider, answered: answeredCount, throttled: throttledCount, pace: pace,
                                   learnedFrom: pace == nil ? nil : pace == limiter.ceilingRate ? "rate_limit" : source?.rawValue, sending: measured,
                                   pausedFor: pausedUntil.flatMap { $0 > now ? ($0 - now).inSeconds : nil })
        }
    }

    func sending() -> Int {
        lock.withLock {
            let now = clock.now
            sendCount += 1
            sendTimes.add(now)
            if sentAt.count > 10_000 { sentAt = sentAt.filter { $0.key > sendCount - 1_000 } }
            sentAt[sendCount] = (now, limiter.currentRate != nil)
            return sendCount
        }
    }

    func answered(_ request: Int, _ reply: HTTPReply) {
        observe(request, RateSignal(reply: reply), status: reply.status)
    }

    /// A throttle seen without an HTTP 429 (a command's exit status, S3's 503 SlowDown).
    func throttledWithoutReply() {
        observe(nil, nil, status: 429)
    }

    private func observe(_ request: Int?, _ signal: RateSignal?, status: Int) {
        lock.withLock {
            let now = clock.now
            answeredCount += 1
            let sent = request.flatMap { sentAt.removeValue(forKey: $0) }
            if let sent {
                latency = latency == 0 ? (now - sent.at).inSeconds : 0.9 * latency + 0.1 * (now - sent.at).inSeconds
            }
            let throttled = status == 429
            if throttled { throttledCount += 1 }
            remember(throttled)
            if let window = signal?.requests { learn(window) }
            if throttled {
                throttle(signal, now: now, wasPaced: sent?.paced ?? false)
            } else {
                acceptTimes.add(now)
                climbBack(now: now)
            }
            apply()
        }
    }

    private func learn(_ window: RateSignal.Window) {
        // `remaining` is a whole number, so the bucket holds up to one request more than it says
        // (none just after it was full, half on average once it is being drawn down). Only a gap
        // of a quarter of the bucket or more tells the refill rate to within a few percent (a
        // bucket of one or two requests: any gap, it is all there is).
        let gap = window.limit - window.remaining - 0.25
        if let refill = window.refillPerSecond, refill.isFinite, gap >= max(0.75, min(max(2, window.limit / 4), window.limit - 1.25)) {
            missing = missing.map { 0.8 * $0 + 0.2 * gap } ?? gap
            toFull = toFull.map { 0.8 * $0 + 0.2 * window.resetSeconds } ?? window.resetSeconds
            if source == nil || source == .throttling { source = .headers }
        }
        // What the bucket had when this request arrived, less every other call still out (some
        // were counted already: erring low), less a quarter of the bucket: kept in reserve, so
        // that calls arriving close together (a busy network, a loaded machine) find tokens.
        let spare = max(2, Int((window.limit * 0.25).rounded(.up)))
        limiter.setHeadroom(Int(window.remaining.rounded(.down)) - max(0, limiter.callsInFlight - 1) - spare)
    }

    /// `wasPaced`: the refused request went out under a learned pace (not in a burst before it).
    private func throttle(_ signal: RateSignal?, now: ContinuousClock.Instant, wasPaced: Bool) {
        if let quota = signal?.quota, quota.periodSeconds < 3600, quotaRate != quota.perSecond {
            // A stated quota per second, minute or hour: paced just under it from now on.
            quotaRate = quota.perSecond
            source = .quota
            refusedPacedSince = nil
        } else if let signal, signal.showsLimitReached, wasPaced {
            refusedWhilePaced(now: now)
        }
        if let signal, signal.showsQuotaExhausted, let wait = signal.retryAfter, wait <= RetryDelay.longestServerDelay {
            // Used up for a while: nobody gets through before the reset, whatever the pace.
            let until = now.advanced(by: .seconds(wait))
            if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
            limiter.pause(for: wait)
            return
        }
        // An empty request bucket whose refill rate is known, or a stated quota, is paced above; an
        // empty token bucket (`x-ratelimit-remaining-tokens: 0`), or a request bucket not yet
        // understood, states a limit the pace cannot see: cut.
        let requestsEmpty = signal?.requests.map { $0.remaining < 1 } ?? false
        if (requestsEmpty && refill != nil) || signal?.quota != nil { return }
        let stated = signal?.showsLimitReached == true
        // Nothing said: frequent 429s mean a limit; rare ones are chance.
        let refused = recent.lazy.filter { $0 }.count
        let frequent = refused >= max(Self.fewest, Int((Double(recent.count) * Self.frequent).rounded(.up))) || throttledInARow >= Self.inARow
        guard stated || frequent else { return }
        let coolDown = max(0.5, 2 * latency)
        if let lastCut, (now - lastCut).inSeconds < coolDown { return }
        // What got through is what the provider allows; what was sent, when little got through.
        let base = [acceptTimes.perSecond(now: now) ?? sendTimes.perSecond(now: now), aimd, limiter.currentRate].compactMap { $0 }.min() ?? 1
        aimd = max(0.05, base * Self.backoff)
        rateAtCut = base
        climb = max(0.05, base * 0.1)
        lastCut = now
        lastClimb = now
        recent.removeAll(keepingCapacity: true)
        recentNext = 0
        throttledInARow = 0
        source = source ?? .throttling
    }

    /// Paced by what the provider said and still refused. Right after pacing starts, that is the
    /// burst before it draining (the bucket refills, slowly, under the pace); refusals that go on
    /// for a second or more mean the estimate is high, and it is lowered.
    private func refusedWhilePaced(now: ContinuousClock.Instant) {
        let quiet = max(5, 4 * latency)
        if let last = lastPacedRefusal, (now - last).inSeconds < quiet, let since = refusedPacedSince {
            if (now - since).inSeconds >= max(1, 2 * latency) {
                factor = max(0.5, factor * Self.correction)
                refusedPacedSince = now
            }
        } else {
            refusedPacedSince = now
        }
        lastPacedRefusal = now
    }

    private func climbBack(now: ContinuousClock.Instant) {
        guard let current = aimd, let last = lastClimb else { return }
        let elapsed = (now - last).inSeconds
        // Back to the rate that was refused in 3 s; past it, probing faster (a quarter more each
        // second), so that a cut made by chance soon stops mattering.
        aimd = current < rateAtCut ? current + climb * elapsed : current * pow(1.25, elapsed)
        lastClimb = now
        // Far above what is being sent: the demand is lower than the limit, which no longer binds.
        guard let lastCut, (now - lastCut).inSeconds > 5, lastReleaseCheck.map({ (now - $0).inSeconds >= 1 }) ?? true else { return }
        lastReleaseCheck = now
        if let measured, let pace = aimd, pace > 3 * measured {
            aimd = nil
            if source == .throttling { source = nil }
        }
    }

    private func remember(_ throttled: Bool) {
        throttledInARow = throttled ? throttledInARow + 1 : 0
        if recent.count < Self.window {
            recent.append(throttled)
        } else {
            recent[recentNext] = throttled
            recentNext = (recentNext + 1) % Self.window
        }
    }

    private var refill: Double? {
        guard let missing, let toFull, toFull > 0, missing > 0 else { return nil }
        return missing / toFull
    }

    /// Requests per second sent lately; nil before there is anything to tell.
    private var measured: Double? { sendTimes.perSecond(now: clock.now) }

    /// The pace the provider is held to once its bucket is empty, within the ceiling: what the
    /// run settled at, even while the bucket has room.
    private var settledPace: Double? {
        let learned = [aimd, quotaRate.map { $0 * factor }, refill.map { $0 * factor }].compactMap { $0 }.min()
        guard let ceiling = limiter.ceilingRate else { return learned }
        return min(learned ?? ceiling, ceiling)
    }

    private func apply() {
        var always = aimd
        if let quotaRate { always = min(always ?? .infinity, quotaRate * factor) }
        limiter.adapt(rate: always, whenEmpty: refill.map { $0 * factor })
        // Little's law: a pace of r a second at a latency of L seconds needs r·L calls in flight.
        // Twice that and two more absorb jitter; a provider that slows down gets no more than that.
        limiter.capInFlight(settledPace.flatMap { latency > 0 ? Int((2 * $0 * latency).rounded(.up)) + 2 : nil })
    }
}

/// The latest moments something happened (up to 2,048), for a rate over the last second.
private struct TimeRing {
    private var times: [ContinuousClock.Instant] = []
    private var next = 0
    static let kept = 2048

    mutating func add(_ time: ContinuousClock.Instant) {
        if times.count < Self.kept {
            times.append(time)
        } else {
            times[next] = time
            next = (next + 1) % Self.kept
        }
    }

    /// Events per second over the last second (or the last 2,048, if sooner); nil with fewer than two.
    func perSecond(now: ContinuousClock.Instant) -> Double? {
        var count = 0
        var oldest = now
        for time in times where (now - time).inSeconds <= 1 {
            count += 1
            oldest = min(oldest, time)
        }
        guard count >= 2 else { return nil }
        return Double(count) / max((now - oldest).inSeconds, 0.05)
    }
}
