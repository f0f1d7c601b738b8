import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan
import ImagePipeEmulator

/// Timing logic in virtual time: exact, fast, and the same on a busy machine.
@Suite struct VirtualTimeTests {
    /// Callers that wake late or in bunches (a loaded machine) never get more than the burst
    /// plus the rate's share through in any window, and the rate is still reached.
    @Test(arguments: [UInt64(1), 7, 42])
    func rateLimiterNeverPassesItsLimitHoweverCallersWake(seed: UInt64) {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: RateLimit(requestsPerSecond: 20, burst: 2), clock: clock)
        var random = SeededRandom(seed: seed)
        var waiting: [Int?] = (0..<60).map { _ in limiter.takeTicket() }
        var grants: [Double] = []
        var t = 0.0
        while !waiting.isEmpty, t < 60 {
            // Some callers wake now, in no particular order; the rest sleep on.
            for index in waiting.indices.shuffled(using: &random) where Double.random(in: 0..<1, using: &random) < 0.5 {
                guard let ticket = waiting[index] else { continue }
                if limiter.turn(ticket) == .go {
                    grants.append(clock.elapsed)
                    waiting[index] = nil
                }
            }
            waiting.removeAll { $0 == nil }
            t += Double.random(in: 0.001..<0.03, using: &random)
            clock.set(t)
        }
        #expect(grants.count == 60)
        for window in [0.05, 0.1, 0.25, 0.5, 1.0, 2.0] {
            var worst = 0
            var j = 0
            for i in grants.indices {
                while grants[i] - grants[j] >= window { j += 1 }
                worst = max(worst, i - j + 1)
            }
            // GCRA's bound for a half-open window of W seconds: burst − 1 + ⌈W · rate⌉.
            #expect(Double(worst) <= 1 + (20 * window).rounded(.up), "window \(window)s saw \(worst)")
        }
        // 58 after the burst at 20/s: about 2.9 s, and callers that wake late cost little.
        #expect(grants.last! >= 2.85 && grants.last! < 3.3, "\(grants.last!)")
    }

    @Test func aPauseHoldsEveryoneUntilItEnds() {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: nil, clock: clock)
        limiter.pause(for: 2)
        let ticket = limiter.takeTicket()
        #expect(limiter.turn(ticket) != .go)
        clock.set(1.999)
        #expect(limiter.turn(ticket) != .go)
        clock.set(2)
        #expect(limiter.turn(ticket) == .go)
    }

    /// Retry waits go by the run's clock: two 500s, exponential from 1 s without jitter, wait
    /// 1 s and 2 s of virtual time.
    @Test func retriesWaitTheirBackoffInVirtualTime() async throws {
        let clock = VirtualClock()
        let yaml = """
        version: 1
        name: virtual-retries
        providers:
          p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: p
              model: gpt-image-1
              prompt: "{{ name }}"
              size: 64x64
              output: "{{ sku }}.png"
              retry: { attempts: 4, backoff: exponential, initial: 1s, max: 30s, jitter: none }
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": "sku,name\nA1,[[fail:500x2]] mug\n"], emulator: EmulatorConfiguration(),
                                           control: RunControl(clock: clock))
        #expect(run.stage("hero").succeeded == 1)
        #expect(run.lines(stage: "hero").first?["attempts"] as? Int == 3)
        #expect(abs(clock.elapsed - 3) < 1e-6, "\(clock.sleeps)")
        // Every wait went through the run's clock (a wait on the machine's clock would not be here).
        #expect(abs(clock.sleeps.reduce(0, +) - 3) < 1e-6)
    }

    /// A failing receiver is tried three times, 0.5 s and 1 s apart, then becomes a warning.
    @Test func notificationBackoffInVirtualTime() async throws {
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: demo
        notify:
          - slack: http://127.0.0.1:9/hooks/secret-path
        """)
        let clock = VirtualClock()
        let notifier = Notifier(specs: try #require(outcome.pipeline).spec.notify, secrets: SecretSet(), clock: clock)
        await notifier.send(Notifier.Summary(pipeline: "demo", runID: "1", event: .finish, status: "succeeded", stages: [], costUSD: 0,
                                             duration: 0, manifest: "m"))
        await notifier.shutdown()
        #expect(clock.sleeps == [0.5, 1.0])
    }
}

/// A small deterministic generator (SplitMix64), so a simulation is the same on every run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
