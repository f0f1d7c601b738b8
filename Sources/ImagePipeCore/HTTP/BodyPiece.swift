import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Part of a request body that may be large: bytes at hand, or a file read as it is sent (a
/// batch's input runs to 200 MB, and is never held in memory whole).
public enum BodyPiece: Sendable {
    case bytes([UInt8])
    case file(String)

    /// The pieces as one streamed body of known length; nil when a file cannot be read.
    static func body(_ pieces: [BodyPiece]) -> HTTPClient.Body? {
        var length: Int64 = 0
        for piece in pieces {
            switch piece {
            case .bytes(let bytes): length += Int64(bytes.count)
            case .file(let path):
                guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber else { return nil }
                length += size.int64Value
            }
        }
        return .stream(contentLength: length) { writer in
            let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
            promise.completeWithTask {
                for piece in pieces {
                    switch piece {
                    case .bytes(let bytes):
                        try await writer.write(.byteBuffer(ByteBuffer(bytes: bytes))).get()
                    case .file(let path):
                        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
                        defer { try? handle.close() }
                        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                            try await writer.write(.byteBuffer(ByteBuffer(bytes: chunk))).get()
                        }
                    }
                }
            }
            return promise.futureResult
        }
    }
}
