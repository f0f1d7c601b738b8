import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct RetryDelayTests {
    func policy(_ configure: (inout RetryPolicy) -> Void) -> RetryDelay {
        var p = RetryPolicy()
        configure(&p)
        return RetryDelay(policy: p)
    }

    @Test func exponentialBackoffIsCappedAtMax() {
        let delay = policy { $0.initial = 1; $0.max = 5; $0.jitter = .none }
        #expect((1...5).map { delay.backoff(attempt: $0) } == [1, 2, 4, 5, 5])
        let constant = policy { $0.backoff = .constant; $0.initial = 0.5; $0.jitter = .none }
        #expect(constant.backoff(attempt: 4) == 0.5)
    }

    @Test func jitterStaysInItsRange() {
        let full = policy { $0.initial = 4; $0.jitter = .full }
        let equal = policy { $0.initial = 4; $0.jitter = .equal }
        #expect(full.backoff(attempt: 1, random: { $0 }) == 4)
        #expect(full.backoff(attempt: 1, random: { _ in 0 }) == 0)
        #expect(equal.backoff(attempt: 1, random: { _ in 0 }) == 2)
        #expect(equal.backoff(attempt: 1, random: { $0 }) == 4)
        for _ in 0..<100 { #expect((0...4).contains(full.backoff(attempt: 1))) }
    }

    @Test func theServersWaitWins() {
        let delay = policy { $0.initial = 1; $0.jitter = .none }
        #expect(delay.seconds(after: CallFailure(.rate_limited, "429", retryAfter: 7), attempt: 1) == 7)
        #expect(delay.seconds(after: CallFailure(.rate_limited, "429"), attempt: 2) == 2)
    }

    @Test func onlyRetryableClassesInTheOnListAreRetried() {
        let delay = policy { $0.attempts = 3; $0.on = [.rate_limit, .timeout] }
        #expect(delay.shouldRetry(after: CallFailure(.rate_limited, ""), attempt: 1))
        #expect(delay.shouldRetry(after: CallFailure(.timeout, ""), attempt: 2))
        #expect(!delay.shouldRetry(after: CallFailure(.timeout, ""), attempt: 3))
        #expect(!delay.shouldRetry(after: CallFailure(.server_error, ""), attempt: 1))
        for never in [FailureClass.auth, .content_policy, .bad_request, .invalid_output, .local_error, .cancelled] {
            #expect(!delay.shouldRetry(after: CallFailure(never, ""), attempt: 1))
        }
        // A server asking for hours is a refusal, not a wait.
        #expect(!delay.shouldRetry(after: CallFailure(.rate_limited, "", retryAfter: 86_400), attempt: 1))
    }

    @Test func retryAfterHeadersAndRetryInfo() throws {
        #expect(RetryAfter.seconds(headers: [("Retry-After", "3")]) == 3)
        #expect(RetryAfter.seconds(headers: [("retry-after", "3"), ("retry-after-ms", "1500")]) == 1.5)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let date = RetryAfter.seconds(headers: [("Retry-After", "Tue, 14 Nov 2023 22:13:40 GMT")], now: now)
        #expect(date == 20)
        #expect(RetryAfter.seconds(headers: [("Retry-After", "soon")]) == nil)
        let google = try JSONParser.parse(Array(#"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2.5s"}]}}"#.utf8))
        #expect(RetryAfter.seconds(googleError: google) == 2.5)
    }

    @Test func statusCodesMapToClasses() {
        #expect(FailureClass.of(status: 429) == .rate_limited)
        #expect(FailureClass.of(status: 408) == .timeout)
        #expect(FailureClass.of(status: 503) == .server_error)
        #expect(FailureClass.of(status: 401) == .auth)
        #expect(FailureClass.of(status: 403) == .auth)
        #expect(FailureClass.of(status: 400) == .bad_request)
    }
}
