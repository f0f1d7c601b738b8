import Foundation

/// Blocking work of a test (a child process run to its end, its pipes read) on a thread of its
/// own. Blocked, a thread of the tests' cooperative pool (two on a 2-core machine) holds up every
/// other suite's tasks: their sleeps, timeouts and kills come seconds late, and tests that race a
/// process against the clock fail.
enum OffPool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { done in
            Thread { done.resume(with: Result { try body() }) }.start()
        }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { done in
            Thread { done.resume(returning: body()) }.start()
        }
    }
}
