import Foundation

/// A counting semaphore for tasks: `acquire` suspends (first come, first served) until a permit
/// is free, and gives up with `CancellationError` when its task is cancelled.
public final class AsyncSemaphore: @unchecked Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Error>
    }

    private let lock = NSLock()
    private var permits: Int
    private var waiters: [Waiter] = []
    /// Index of the first live waiter: removing from the front of an array is O(n).
    private var head = 0
    private var nextID: UInt64 = 0
    private var currentLimit: Int
    public var limit: Int { lock.withLock { currentLimit } }

    public init(permits: Int) {
        precondition(permits > 0)
        self.permits = permits
        currentLimit = permits
    }

    public var inUse: Int { lock.withLock { currentLimit - permits } }

    /// Changes how many permits there are: fewer take effect as holders release theirs (none is
    /// taken back), more wake waiters at once.
    func resize(to newLimit: Int) {
        lock.lock()
        permits += newLimit - currentLimit
        currentLimit = newLimit
        var woken: [Waiter] = []
        while permits > 0, head < waiters.count {
            woken.append(waiters[head])
            head += 1
            permits -= 1
        }
        lock.unlock()
        for waiter in woken { waiter.continuation.resume() }
    }
    /// Callers queued for a permit.
    var waiting: Int { lock.withLock { waiters.count - head } }

    /// Takes a permit if one is free and nobody is queued; returns the waiter id to use otherwise.
    private func takeOrTicket() -> UInt64? {
        lock.withLock {
            if permits > 0, head == waiters.count {
                permits -= 1
                return nil
            }
            nextID &+= 1
            return nextID
        }
    }

    /// Lowers the permits to at most `cap` at once and returns how many are held, in one step: a
    /// permit released meanwhile cannot be taken by a caller the new cap would refuse.
    func shrink(to cap: Int) -> Int {
        lock.withLock {
            if cap < currentLimit {
                permits -= currentLimit - cap
                currentLimit = cap
            }
            return currentLimit - permits
        }
    }

    /// Takes a permit only if one is free now and nobody is queued.
    func tryAcquire() -> Bool { takeOrTicket() == nil }

    public func acquire() async throws {
        guard let id = takeOrTicket() else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                lock.lock()
                if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                } else if permits > 0, head == waiters.count {
                    permits -= 1
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiters.append(Waiter(id: id, continuation: continuation))
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let index = waiters[head...].firstIndex { $0.id == id }
            let removed = index.map { waiters.remove(at: $0) }
            lock.unlock()
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    public func release() {
        lock.lock()
        if permits < 0 {
            // Shrunk while held: this permit is one of those that go.
            permits += 1
            lock.unlock()
        } else if head < waiters.count {
            let next = waiters[head]
            head += 1
            if head > 1024, head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            lock.unlock()
            next.continuation.resume()
        } else {
            permits += 1
            lock.unlock()
        }
    }
}
