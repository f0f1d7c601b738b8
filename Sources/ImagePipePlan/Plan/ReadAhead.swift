import ImagePipeCore
import ImagePipeLanguage
import Foundation

/// Reads a record stream ahead on a thread of its own, in batches, so that parsing the next rows
/// of a data file overlaps planning the current ones (parsing is a sixth of a plan's time). At
/// most `depth` batches wait, so memory stays flat with the data. A row error is handed over in
/// its place; reading stops after one that ends the file, or at the end.
package final class ReadAhead: @unchecked Sendable {
    package typealias Row = (record: Record, location: SourceLocation)
    private enum Element {
        case row(Row)
        case problem(DataFileError)
        case end
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [[Element]] = []
    private var stopped = false

    private let depth: Int
    private var batch: [Element] = []
    private var position = 0

    /// `stream` is handed over: only the reading thread uses it from here on.
    package init(_ stream: RecordStream, batchSize: Int = 1024, depth: Int = 4) {
        self.depth = depth
        let handover = Handover(stream)
        let thread = Thread { [self] in
            guard let stream = handover.take() else { return }
            produce(stream, batchSize: batchSize)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { stop() }

    /// Tells the reading thread to finish (when the caller stops early).
    package func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce(_ stream: RecordStream, batchSize: Int) {
        var done = false
        while !done {
            var batch: [Element] = []
            batch.reserveCapacity(batchSize)
            while batch.count < batchSize {
                do {
                    guard let row = try stream.next() else {
                        batch.append(.end)
                        done = true
                        break
                    }
                    batch.append(.row(row))
                } catch {
                    batch.append(.problem(error))
                    if error.rest == .fileEnds {
                        batch.append(.end)
                        done = true
                        break
                    }
                }
            }
            condition.lock()
            while ready.count >= depth, !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            ready.append(batch)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next row, the next row's problem, or nil at the end.
    package func next() throws(DataFileError) -> Row? {
        if position == batch.count {
            condition.lock()
            while ready.isEmpty { condition.wait() }
            batch = ready.removeFirst()
            condition.broadcast()
            condition.unlock()
            position = 0
        }
        let element = batch[position]
        switch element {
        case .row(let row):
            position += 1
            return row
        case .problem(let error):
            position += 1
            throw error
        case .end:
            return nil
        }
    }
}

/// A value moved to another thread: taken out once, under a lock, so that only one side ever
/// holds it.
final class Handover<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?

    init(_ value: Value) { self.value = value }

    func take() -> Value? {
        lock.withLock {
            defer { value = nil }
            return value
        }
    }
}
