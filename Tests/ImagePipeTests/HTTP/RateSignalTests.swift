import Foundation
import Testing
@testable import ImagePipeCore

/// Reading what providers' answers say about their limits.
@Suite struct RateSignalTests {
    @Test(arguments: [("1s", 1.0), ("6m0s", 360), ("20ms", 0.02), ("1.5s", 1.5), ("1h2m3.5s", 3723.5), ("0", 0), ("250us", 0.00025)])
    func goDurations(text: String, seconds: Double) {
        #expect(RateSignal.goDuration(text).map { abs($0 - seconds) < 1e-9 } == true, "\(text)")
    }

    @Test(arguments: ["", "1x", "s", "1.2.3s", "-1s"])
    func notGoDurations(text: String) {
        #expect(RateSignal.goDuration(text) == nil)
    }

    @Test func openAIHeadersGiveTheRefillRate() throws {
        let reply = HTTPReply(status: 200, headers: [
            ("x-ratelimit-limit-requests", "500"), ("x-ratelimit-remaining-requests", "499"), ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "40000"), ("x-ratelimit-remaining-tokens", "39000"), ("x-ratelimit-reset-tokens", "1.5s"),
        ], body: [])
        let signal = try #require(RateSignal(reply: reply))
        #expect(signal.requests == RateSignal.Window(limit: 500, remaining: 499, resetSeconds: 0.12))
        // 500 a minute: one request back every 120 ms.
        #expect(abs((signal.requests?.refillPerSecond ?? 0) - 500.0 / 60) < 0.01)
        #expect(signal.tokens?.remaining == 39000)
        #expect(!signal.showsLimitReached)
        #expect(!signal.showsQuotaExhausted)
    }

    @Test func aSuccessWithoutHeadersSaysNothing() {
        #expect(RateSignal(reply: HTTPReply(status: 200, headers: [("Content-Type", "application/json")], body: [])) == nil)
    }

    @Test func anEmptyBucketIsALimitAndAMinutesLongWaitIsAUsedUpQuota() throws {
        let empty = [("x-ratelimit-limit-requests", "40"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1s")]
        let soon = try #require(RateSignal(reply: HTTPReply(status: 429, headers: empty + [("retry-after-ms", "25")], body: [])))
        #expect(soon.showsLimitReached)
        #expect(soon.retryAfter == 0.025)
        #expect(!soon.showsQuotaExhausted)
        let daily = [("x-ratelimit-limit-requests", "1000"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "23h59m0s")]
        let late = try #require(RateSignal(reply: HTTPReply(status: 429, headers: daily + [("Retry-After", "3600")], body: [])))
        #expect(late.showsQuotaExhausted)
    }

    @Test func googleQuotaFailureNamesTheQuotaAndItsPeriod() throws {
        let body = #"""
        {"error": {"code": 429, "message": "You exceeded your current quota", "status": "RESOURCE_EXHAUSTED", "details": [
          {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash-image"}, "quotaValue": "10"}]},
          {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
          {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}]}}
        """#
        let signal = try #require(RateSignal(reply: HTTPReply(status: 429, headers: [], body: Array(body.utf8))))
        #expect(signal.quota == RateSignal.Quota(id: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", value: 10, periodSeconds: 60))
        #expect(signal.retryAfter == 37)
        #expect(signal.showsLimitReached)
        // Nothing gets through for 37 s: used up until then, whatever the period.
        #expect(signal.showsQuotaExhausted)
        let soon = body.replacingOccurrences(of: "\"37s\"", with: "\"0.5s\"")
        #expect(RateSignal(reply: HTTPReply(status: 429, headers: [], body: Array(soon.utf8)))?.showsQuotaExhausted == false)
        let daily = body.replacingOccurrences(of: "PerMinute", with: "PerDay")
        #expect(RateSignal(reply: HTTPReply(status: 429, headers: [], body: Array(daily.utf8)))?.showsQuotaExhausted == true)
    }

    @Test func a429ThatSaysNothingIsStillA429() throws {
        let signal = try #require(RateSignal(reply: HTTPReply(status: 429, headers: [("Retry-After", "1")], body: Array("slow down".utf8))))
        #expect(signal.retryAfter == 1)
        #expect(!signal.showsLimitReached)
    }
}
