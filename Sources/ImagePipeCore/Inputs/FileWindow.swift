import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A sliding window over a file: readers find whole records inside `bytes[start..<end]` and
/// ask for more with `fill()`, so files of any size stream in memory bounded by the longest record.
package final class FileWindow {
    private let file: UnsafeMutablePointer<FILE>
    private(set) var bytes: [UInt8]
    /// The first byte not yet consumed.
    package var start = 0
    /// One past the last byte read from the file.
    private(set) var end = 0
    private(set) var isAtEOF = false

    package init?(path: String, chunkSize: Int = 256 << 10) {
        guard let file = fopen(path, "rb") else { return nil }
        self.file = file
        bytes = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { fclose(file) }

    package var isEmpty: Bool { start == end }

    /// Reads more of the file after what is buffered, moving the unconsumed bytes to the front
    /// (and growing the buffer when a record fills it). Returns false at the end of the file.
    @discardableResult
    package func fill() -> Bool {
        guard !isAtEOF else { return false }
        if start > 0 {
            let pending = end - start
            if pending > 0 {
                bytes.withUnsafeMutableBufferPointer { buffer in
                    _ = memmove(buffer.baseAddress!, buffer.baseAddress! + start, pending)
                }
            }
            start = 0
            end = pending
        }
        if end == bytes.count { bytes += [UInt8](repeating: 0, count: bytes.count) }
        let read = bytes.withUnsafeMutableBufferPointer { buffer in
            fread(buffer.baseAddress! + end, 1, buffer.count - end, file)
        }
        if read == 0 { isAtEOF = true }
        end += read
        return read > 0
    }

    /// Consumes `prefix` if the file starts with it (call before reading anything else).
    package func skipPrefix(_ prefix: [UInt8]) {
        while end - start < prefix.count, fill() {}
        if end - start >= prefix.count, Array(bytes[start..<(start + prefix.count)]) == prefix { start += prefix.count }
    }
}
