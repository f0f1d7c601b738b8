import Foundation

/// Runs recursive work (YAML composition of hostile input) on a thread with a 512 MiB stack.
/// Only the pages actually touched are committed, so ordinary input costs nothing extra.
package enum LargeStack {
    package static let size = 512 << 20

    package static func run<T>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = size
        thread.start()
        done.wait()
        return box.value!
    }

    private final class ResultBox<T>: @unchecked Sendable {
        package var value: T?
    }
}
