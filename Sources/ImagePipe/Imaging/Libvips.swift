import CVipsShim
import Dispatch
import Foundation

/// libvips, started once per process. Its operations block and use the CPU, so callers run
/// them through `Libvips.run`, on threads of their own: the cooperative pool stays free for the
/// run's timers and network.
enum Libvips {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static let started: Failure? = {
        ipv_init() == 0 ? nil : Failure(description: "libvips could not start: " + lastError())
    }()

    static func start() throws(Failure) {
        if let started { throw started }
    }

    /// What libvips' error buffer says, on one line. The buffer is the process's, so under
    /// concurrency it may hold another image's words too: callers lead with what they were doing.
    static func lastError() -> String {
        guard let text = ipv_take_error() else { return "unknown libvips error" }
        defer { ipv_free(text) }
        let message = String(cString: text).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        return message.isEmpty ? "unknown libvips error" : message
    }

    private static let queue = DispatchQueue(label: "imagepipe.libvips", qos: .userInitiated, attributes: .concurrent)

    /// Runs blocking image work off the cooperative pool.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
        let result: Result<T, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(Failure) {
                    try start()
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// One libvips image, released when the last reference goes.
final class VipsPicture {
    let pointer: UnsafeMutablePointer<CVipsShim.VipsImage>

    init(_ pointer: UnsafeMutablePointer<CVipsShim.VipsImage>) { self.pointer = pointer }
    deinit { ipv_unref(pointer) }

    /// Wraps what an operation returned, or throws what libvips said went wrong.
    static func made(_ pointer: UnsafeMutablePointer<CVipsShim.VipsImage>?, _ what: String) throws(Libvips.Failure) -> VipsPicture {
        guard let pointer else { throw Libvips.Failure(description: what + ": " + Libvips.lastError()) }
        return VipsPicture(pointer)
    }

    static func decode(_ bytes: [UInt8]) throws(Libvips.Failure) -> VipsPicture {
        let pointer = bytes.withUnsafeBytes { ipv_load($0.baseAddress, $0.count) }
        return try made(pointer, "cannot decode the image")
    }

    var width: Int { Int(ipv_width(pointer)) }
    var height: Int { Int(ipv_height(pointer)) }
    var bands: Int { Int(ipv_bands(pointer)) }
    var hasAlpha: Bool { ipv_has_alpha(pointer) != 0 }

    /// The image's pixels, band-interleaved 8-bit (for measurements of small images).
    func pixels() throws(Libvips.Failure) -> [UInt8] {
        var length = 0
        guard let memory = ipv_pixels(pointer, &length) else { throw Libvips.Failure(description: "cannot read pixels: " + Libvips.lastError()) }
        defer { ipv_free(memory) }
        return Array(UnsafeRawBufferPointer(start: memory, count: length))
    }

    enum SaveFormat: Int32 {
        case png = 0, jpeg, webp, avif
    }

    func encode(_ format: SaveFormat, quality: Int, strip: Bool) throws(Libvips.Failure) -> [UInt8] {
        var data: UnsafeMutableRawPointer?
        var length = 0
        guard ipv_save(pointer, format.rawValue, Int32(quality), strip ? 1 : 0, &data, &length) == 0, let data else {
            throw Libvips.Failure(description: "cannot encode \(format) : " + Libvips.lastError())
        }
        defer { ipv_free(data) }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }
}
