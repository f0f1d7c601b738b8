import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage

/// The adaptive control in virtual time: a simulated provider (a token bucket, random
/// throttling, a used-up quota) answers callers that go through the real limiter and control,
/// one virtual millisecond at a time. Exact and quick; the same cases against the emulator over
/// HTTP are in `AdaptiveRateRunTests`, and at full speed in scripts/bench-rate.
@Suite struct AdaptiveRateTests {
    @Test func rateHeadersPaceJustBelowTheQuotaWithoutBeingRefused() async {
        let result = await Simulation(server: .bucket(perSecond: 40, burst: 40, says: .headers)).runOffThePool(items: 600)
        #expect(result.failed == 0)
        #expect(result.throttledShare <= 0.01, "\(result.throttled) of \(result.answered) throttled")
        #expect(result.rate >= 0.9 * 40, "\(result.rate)/s")
        #expect(result.traffic.learnedFrom == "rate headers")
        #expect(abs((result.traffic.pace ?? 0) - 40 * AdaptiveRate.margin) < 1)
    }

    @Test func aStatedQuotaIsLearnedFromTheFirstRefusal() async {
        let result = await Simulation(server: .bucket(perSecond: 40, burst: 40, says: .quotaFailure)).runOffThePool(items: 1200)
        #expect(result.failed == 0)
        // The first burst goes out before any answer says there is a quota.
        #expect(result.throttledShare <= 0.05, "\(result.throttled) of \(result.answered) throttled")
        #expect(result.rate >= 0.9 * 40, "\(result.rate)/s")
        #expect(result.traffic.learnedFrom == "stated quota")
    }

    @Test func occasional429sHoldBackOnlyTheRefusedRequests() async {
        let clean = await Simulation(server: .unlimited(throttling: 0)).runOffThePool(items: 8_000)
        let throttled = await Simulation(server: .unlimited(throttling: 0.01)).runOffThePool(items: 8_000)
        #expect(throttled.throttled > 10)
        #expect(throttled.traffic.pace == nil)
        // The refused requests wait their second each, in parallel with the rest, which go at full
        // speed (measured to 90% of the items: the last refused ones end the run a second later).
        #expect(throttled.rateTo90 >= 0.9 * clean.rateTo90, "\(throttled.rateTo90)/s against \(clean.rateTo90)/s")
        #expect(throttled.failed == 0)
    }

    @Test func frequent429sThatSayNothingBringThePaceDown() async {
        let result = await Simulation(server: .bucket(perSecond: 40, burst: 10, says: .nothing)).runOffThePool(items: 1200)
        #expect(result.failed == 0)
        #expect(result.traffic.learnedFrom == "429s")
        #expect(result.rate >= 0.7 * 40, "\(result.rate)/s")
        #expect(result.throttledShare <= 0.15, "\(result.throttled) of \(result.answered) throttled")
    }

    @Test func theConfiguredRateLimitStaysTheCeiling() async {
        let result = await Simulation(server: .bucket(perSecond: 40, burst: 40, says: .headers), limit: RateLimit(requestsPerSecond: 10, burst: 1)).runOffThePool(items: 100)
        #expect(result.throttled == 0)
        #expect(result.busiestSecond <= 11, "\(result.busiestSecond) in one second")
        #expect(result.traffic.pace == 10)
        #expect(result.traffic.learnedFrom == "rate_limit")
    }

    /// A daily quota used up: nobody sends until the reset the answer names.
    @Test func aUsedUpQuotaPausesEveryoneUntilItsReset() throws {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        let body = #"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel", "quotaValue": "500"}]}, {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "120s"}]}}"#
        control.answered(control.sending(), HTTPReply(status: 429, headers: [], body: Array(body.utf8)))
        let ticket = limiter.takeTicket()
        #expect(limiter.turn(ticket) != .go)
        #expect(control.traffic(provider: "p").pausedFor.map { abs($0 - 120) < 0.01 } == true)
        clock.set(119.9)
        #expect(limiter.turn(ticket) != .go)
        clock.set(120)
        #expect(limiter.turn(ticket) == .go)
    }

    /// Under a learned pace, no more calls go out at once than the pace needs at the latency
    /// measured: 10 a second answered in 100 ms needs one; twice that plus two are let through.
    @Test func aPaceCapsTheCallsInFlight() {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        let refusal = #"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerSecondPerProjectPerModel", "quotaValue": "10"}]}]}}"#
        let id = control.sending()
        clock.set(0.1)
        control.answered(id, HTTPReply(status: 429, headers: [], body: Array(refusal.utf8)))
        var waiting = (0..<10).map { _ in limiter.takeTicket() }
        var gone = 0
        for step in 1...100 {
            clock.set(0.1 + Double(step) * 0.5)
            waiting.removeAll { ticket in
                guard limiter.turn(ticket) == .go else { return false }
                gone += 1
                return true
            }
        }
        // ⌈2 · 10/s · 0.1 s⌉ + 2 = 4, however long the others wait, while none has finished.
        #expect(gone == 4)
        limiter.finished()
        clock.set(60)
        #expect(limiter.turn(waiting[0]) == .go)
    }

    /// OpenAI's image models also have a token limit: a 429 saying the token bucket is empty (the
    /// request bucket is not) is a limit the request pace cannot see, so the pace is cut at once.
    @Test func anEmptyTokenBucketCutsThePace() {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        let room = [("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "300"), ("x-ratelimit-reset-requests", "24s")]
        for i in 0..<50 {
            clock.set(Double(i) * 0.02)
            control.answered(control.sending(), HTTPReply(status: 200, headers: room + [
                ("x-ratelimit-limit-tokens", "100000"), ("x-ratelimit-remaining-tokens", "50000"), ("x-ratelimit-reset-tokens", "30s")], body: []))
        }
        #expect(limiter.currentRate == nil)
        clock.set(1)
        control.answered(control.sending(), HTTPReply(status: 429, headers: room + [
            ("x-ratelimit-limit-tokens", "100000"), ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "2s"), ("retry-after-ms", "500")], body: []))
        // 50 a second got through; 0.7 of that from now on.
        #expect(limiter.currentRate.map { abs($0 - 35) < 2 } == true, "\(limiter.currentRate ?? 0)")
        #expect(control.traffic(provider: "p").learnedFrom == "rate headers")
    }

    /// A bucket of two (a strict per-second limit): its few answers still tell the refill rate.
    @Test func aTinyBucketIsUnderstoodToo() {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        let tiny = [("x-ratelimit-limit-requests", "2"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1s")]
        control.answered(control.sending(), HTTPReply(status: 200, headers: tiny, body: []))
        #expect(limiter.currentRate.map { abs($0 - 1.75 * AdaptiveRate.margin) < 0.01 } == true, "\(limiter.currentRate ?? 0)")
    }

    /// Headers that show room: nothing paces, however fast the refill is known to be.
    @Test func roomInTheBucketMeansNoPacing() {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        // A bucket of 500 with 450 left: too little used to tell the refill rate, and room anyway.
        let fresh = [("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "450"), ("x-ratelimit-reset-requests", "6s")]
        control.answered(control.sending(), HTTPReply(status: 200, headers: fresh, body: []))
        #expect(limiter.currentRate == nil)
        #expect(control.traffic(provider: "p").pace == nil)
        // 300 left, full in 24 s: 500 a minute (less the quarter request a whole `remaining`
        // may hide). Still room: known, not yet applied.
        let used = [("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "300"), ("x-ratelimit-reset-requests", "24s")]
        control.answered(control.sending(), HTTPReply(status: 200, headers: used, body: []))
        #expect(limiter.currentRate == nil)
        #expect(abs((control.traffic(provider: "p").pace ?? 0) - 500.0 / 60 * AdaptiveRate.margin) < 0.1)
        let empty = [("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m0s")]
        control.answered(control.sending(), HTTPReply(status: 200, headers: empty, body: []))
        #expect(limiter.currentRate.map { abs($0 - 500.0 / 60 * AdaptiveRate.margin) < 0.1 } == true)
    }
}

/// Callers, a provider and the control, stepped through virtual time.
private struct Simulation: Sendable {
    enum Statement { case headers, quotaFailure, nothing }
    enum Server {
        case bucket(perSecond: Double, burst: Double, says: Statement)
        case unlimited(throttling: Double)
    }

    struct Result {
        var answered = 0
        var throttled = 0
        var failed = 0
        var rate = 0.0
        /// Items a second until 90% of them were done.
        var rateTo90 = 0.0
        var busiestSecond = 0
        var traffic: ProviderTraffic
        var throttledShare: Double { Double(throttled) / Double(max(1, answered)) }
    }

    var server: Server
    var limit: RateLimit?
    var concurrency = 32
    var latency = 0.02
    var step = 0.001
    var attempts = 8

    private enum Caller {
        case idle
        case queued(ticket: Int, attempt: Int)
        case sent(id: Int, due: Double, reply: HTTPReply, attempt: Int)
        case waiting(until: Double, attempt: Int)
    }

    /// On a thread of its own: a long simulation must not hold one of the test process's few
    /// cooperative threads, which other tests' timers need.
    func runOffThePool(items: Int) async -> Result {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.run(items: items)) }.start()
        }
    }

    func run(items: Int) -> Result {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: limit, clock: clock)
        let control = AdaptiveRate(limiter: limiter)
        var random = SeededRandom(seed: 7)
        // As in a run: twice the stage's concurrency admitted, `concurrency` holding a slot (queued
        // for the limiter or sent); a request waiting to retry holds none.
        var callers = [Caller](repeating: .idle, count: 2 * concurrency)
        var holding = 0
        var started = 0, finished = 0, failed = 0, answered = 0, throttled = 0
        var tokens: Double = { if case .bucket(_, let burst, _) = server { return burst } else { return 0 } }()
        var sends: [Double] = []
        var t = 0.0
        var tTo90: Double?
        var lastRefill = 0.0
        while finished < items, t < 600 {
            clock.set(t)
            if case .bucket(let perSecond, let burst, _) = server {
                tokens = min(burst, tokens + (t - lastRefill) * perSecond)
                lastRefill = t
            }
            for i in callers.indices {
                switch callers[i] {
                case .idle where started < items && holding < concurrency:
                    started += 1
                    holding += 1
                    callers[i] = .queued(ticket: limiter.takeTicket(), attempt: 1)
                case .queued(let ticket, let attempt) where limiter.turn(ticket) == .go:
                    let id = control.sending()
                    sends.append(t)
                    callers[i] = .sent(id: id, due: t + latency, reply: answer(&tokens, &random), attempt: attempt)
                case .sent(let id, let due, let reply, let attempt) where t >= due:
                    answered += 1
                    control.answered(id, reply)
                    limiter.finished()
                    holding -= 1
                    if reply.status == 200 {
                        finished += 1
                        callers[i] = .idle
                    } else {
                        throttled += 1
                        if attempt >= attempts {
                            failed += 1
                            finished += 1
                            callers[i] = .idle
                        } else {
                            let wait = RateSignal(reply: reply)?.retryAfter ?? 1
                            callers[i] = .waiting(until: t + wait, attempt: attempt + 1)
                        }
                    }
                case .waiting(let until, let attempt) where t >= until && holding < concurrency:
                    holding += 1
                    callers[i] = .queued(ticket: limiter.takeTicket(), attempt: attempt)
                default:
                    continue
                }
            }
            if tTo90 == nil, Double(finished) >= 0.9 * Double(items) { tTo90 = t }
            t += step
        }
        var busiest = 0, j = 0
        for i in sends.indices {
            while sends[i] - sends[j] >= 1 { j += 1 }
            busiest = max(busiest, i - j + 1)
        }
        return Result(answered: answered, throttled: throttled, failed: failed, rate: Double(items) / t,
                      rateTo90: 0.9 * Double(items) / (tTo90 ?? t), busiestSecond: busiest,
                      traffic: control.traffic(provider: "sim"))
    }

    private func answer(_ tokens: inout Double, _ random: inout SeededRandom) -> HTTPReply {
        switch server {
        case .unlimited(let share):
            if Double.random(in: 0..<1, using: &random) < share {
                return HTTPReply(status: 429, headers: [("Retry-After", "1")], body: [])
            }
            return HTTPReply(status: 200, headers: [], body: [])
        case .bucket(let perSecond, let burst, let says):
            let granted = tokens >= 1
            if granted { tokens -= 1 }
            let wait = granted ? 0 : (1 - tokens) / perSecond
            var headers: [(String, String)] = []
            if says == .headers {
                headers = [("x-ratelimit-limit-requests", String(Int(burst))), ("x-ratelimit-remaining-requests", String(Int(tokens))),
                           ("x-ratelimit-reset-requests", "\(Int(((burst - tokens) / perSecond * 1000).rounded(.up)))ms")]
            }
            if granted { return HTTPReply(status: 200, headers: headers, body: []) }
            headers.append(("retry-after-ms", String(Int((wait * 1000).rounded(.up)))))
            var body = ""
            if says == .quotaFailure {
                body = #"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel", "quotaValue": "\#(Int(perSecond * 60))"}]}]}}"#
            }
            return HTTPReply(status: 429, headers: headers, body: Array(body.utf8))
        }
    }
}
