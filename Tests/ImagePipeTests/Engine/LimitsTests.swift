import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// The semaphore and the rate limiter's bookkeeping (their timing is measured against the
/// emulator in `RunEngineTests` and by scripts/bench-run).
@Suite struct LimitsTests {
    @Test func semaphoreWaiterGivesUpWhenCancelled() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let waiter = Task { try await semaphore.acquire() }
        await Wait.until("the waiter is queued") { semaphore.waiting == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The cancelled waiter took nothing: release hands the permit back for the next caller.
        semaphore.release()
        try await semaphore.acquire()
        #expect(semaphore.inUse == 1)
    }

    @Test func semaphoreServesWaitersInOrder() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let order = OrderLog()
        var tasks: [Task<Void, Error>] = []
        for n in 0..<5 {
            tasks.append(Task {
                try await semaphore.acquire()
                order.append(n)
                semaphore.release()
            })
            // Each task is queued before the next starts, so the order to expect is known.
            await Wait.until("task \(n) is queued") { semaphore.waiting == n + 1 }
        }
        semaphore.release()
        for task in tasks { try await task.value }
        #expect(order.values == [0, 1, 2, 3, 4])
    }

    /// In virtual time (a timed check here failed on a loaded machine): the caller after one who
    /// gave up goes at its own turn, not never.
    @Test func rateLimiterSkipsAbandonedTurns() async throws {
        let clock = VirtualClock()
        let limiter = RateLimiter(limit: RateLimit(requestsPerSecond: 20, burst: 1), clock: clock)
        #expect(limiter.turn(limiter.takeTicket()) == .go)
        struct GaveUp: Error {}
        // The next caller gives up while waiting its turn; the one after must not wait forever.
        await #expect(throws: GaveUp.self) { try await limiter.acquire(sleep: { _ in throw GaveUp() }) }
        let next = limiter.takeTicket()
        #expect(limiter.turn(next) != .go)
        clock.set(0.05)
        #expect(limiter.turn(next) == .go)
    }

    @Test func pauseHoldsEveryoneBack() async throws {
        let limiter = RateLimiter(limit: nil)
        limiter.pause(for: 0.2)
        let start = ContinuousClock.now
        try await limiter.acquire()
        #expect(ContinuousClock.now - start >= .milliseconds(190))
    }

    /// `adaptive: false` keeps the plain behaviour: any 429 holds every call back for its wait.
    @Test func withoutAdaptiveControlA429PausesTheWholeProvider() async throws {
        var spec = try #require(Fixtures.validate("""
        version: 1
        name: gate
        providers:
          p: { kind: placeholder, concurrency: 2, adaptive: false }
        """).0.pipeline?.spec.providers.first)
        spec.rateLimit = nil
        let gate = ProviderGate(provider: spec)
        gate.record(CallFailure(.rate_limited, "429", retryAfter: 0.3))
        let start = ContinuousClock.now
        _ = try await gate.call(control: RunControl()) { 1 }
        #expect(ContinuousClock.now - start >= .milliseconds(290))
    }

    /// With it (the default), a lone 429 holds back only the call it refused.
    @Test func withAdaptiveControlALone429HoldsBackNobodyElse() async throws {
        let spec = try #require(Fixtures.validate("""
        version: 1
        name: gate
        providers:
          p: { kind: placeholder, concurrency: 2 }
        """).0.pipeline?.spec.providers.first)
        let gate = ProviderGate(provider: spec, clock: VirtualClock())
        gate.record(CallFailure(.rate_limited, "exit status 75", retryAfter: 30))
        // The next call may go at once (no virtual time passes), not in 30 s.
        #expect(gate.limiter.turn(gate.limiter.takeTicket()) == .go)
        #expect(gate.traffic.throttled == 1)
    }

    @Test func budgetWaitsForReservationsThenRefusesTheCallThatWouldPassTheCap() async {
        let budget = BudgetGate(limit: 0.1)
        #expect(budget.reserve(0.04) == .reserved)
        #expect(budget.reserve(0.04) == .reserved)
        // Two calls in flight may yet give theirs back: wait, do not give up.
        #expect(budget.reserve(0.04) == .waitFor(generation: 0))
        #expect(!budget.isReached)
        budget.settle(0.04, spent: true)
        await budget.settled(after: 0)
        budget.settle(0.04, spent: false)
        #expect(abs(budget.spent - 0.04) < 1e-12)
        #expect(budget.reserve(0.04) == .reserved)
        budget.settle(0.04, spent: true)
        // $0.08 spent, nothing outstanding: $0.04 more would pass $0.10.
        #expect(budget.reserve(0.04) == .refused)
        #expect(budget.isReached)
    }

    final class OrderLog: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Int] = []
        func append(_ n: Int) { lock.withLock { items.append(n) } }
        var values: [Int] { lock.withLock { items } }
    }
}
