import Foundation

/// Images the emulator answers with a URL to (Seedream's `response_format: url`), served once
/// at `/files/TOKEN.png` and then forgotten, so memory stays bounded by what clients have not fetched.
final class EmulatorFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: [UInt8]] = [:]
    private var next = 0

    /// Keeps `bytes`; returns the path they are served at.
    func put(_ bytes: [UInt8]) -> String {
        lock.withLock {
            next += 1
            let token = "img\(next)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            files[token] = bytes
            return "/files/\(token).png"
        }
    }

    func take(path: String) -> [UInt8]? {
        let token = String(path.dropFirst("/files/".count).dropLast(".png".count))
        return lock.withLock { files.removeValue(forKey: token) }
    }
}
