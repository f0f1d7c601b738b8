import Foundation
import ImagePipe

/// The pictures the emulator sends: one of a fixed set of placeholder patterns per size, chosen
/// by the prompt's hash, drawn once and then reused, so that answering costs the emulator next
/// to nothing and a benchmark measures the client, not the image encoder.
final class EmulatorImages: @unchecked Sendable {
    static let patterns: UInt64 = 64

    private let lock = NSLock()
    private var cache: [ImageSize: [UInt64: [UInt8]]] = [:]

    /// With `label`, the picture carries the prompt's start and the model (drawn per request:
    /// small at the default 64x64); without, one of the cached patterns.
    func png(prompt: String, size: ImageSize, label: [String]? = nil) -> [UInt8] {
        let pattern = PlaceholderImage.fnv1a(prompt) % Self.patterns
        if let label {
            return PlaceholderImage.png(prompt: "emulator pattern \(pattern)", width: size.width, height: size.height, label: label)
        }
        if let hit = lock.withLock({ cache[size]?[pattern] }) { return hit }
        let drawn = PlaceholderImage.png(prompt: "emulator pattern \(pattern)", width: size.width, height: size.height)
        lock.withLock { cache[size, default: [:]][pattern] = drawn }
        return drawn
    }
}
