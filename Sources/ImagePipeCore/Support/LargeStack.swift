import Foundation

/// Runs recursive work (YAML composition of hostile input) on a thread with a 512 MiB stack.
/// Only the pages actually touched are committed, so ordinary input costs nothing extra.
package enum LargeStack {
    package static let size = 512 << 20

    package static func run<T>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.set(body())
            done.signal()
        }
        thread.stackSize = size
        thread.start()
        done.wait()
        return box.take()!
    }

    /// The thread's result, handed back under a lock.
    private final class ResultBox<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: T?
        func set(_ new: T) { lock.withLock { value = new } }
        func take() -> T? { lock.withLock { value } }
    }
}
