import Foundation

/// A flag that is set once and read from any task; the lock guards it.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    func set() { lock.withLock { isSet = true } }
    var value: Bool { lock.withLock { isSet } }
}
