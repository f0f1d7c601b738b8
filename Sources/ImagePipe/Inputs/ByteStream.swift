import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file in 256 KiB chunks, byte by byte, so data files of any size stream in constant memory.
final class ByteStream {
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8]
    private var count = 0
    private var position = 0
    private(set) var isAtEnd = false

    init?(path: String, chunkSize: Int = 256 << 10) {
        guard let file = fopen(path, "rb") else { return nil }
        self.file = file
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit { fclose(file) }

    /// The next byte, or nil at the end of the file.
    @inline(__always)
    func next() -> UInt8? {
        if position == count, !refill() { return nil }
        let b = buffer[position]
        position += 1
        return b
    }

    @inline(__always)
    func peek() -> UInt8? {
        if position == count, !refill() { return nil }
        return buffer[position]
    }

    /// Consumes `prefix` if the stream starts with it (checked before anything else is read).
    func skipPrefix(_ prefix: [UInt8]) -> Bool {
        if position == count, !refill() { return false }
        guard position == 0, count >= prefix.count, Array(buffer[0..<prefix.count]) == prefix else { return false }
        position = prefix.count
        return true
    }

    private func refill() -> Bool {
        guard !isAtEnd else { return false }
        count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        position = 0
        if count == 0 { isAtEnd = true }
        return count > 0
    }
}
