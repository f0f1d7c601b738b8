import Foundation

/// A tmpfs of a given size, mounted by the test (as root, which CI is), to fill up or make
/// read-only for real: the faults users meet, not a simulation of them.
final class SmallDisk {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let url: URL

    init(megabytes: Int, in directory: URL) throws {
        url = directory.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Self.mount(["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", url.path])
    }

    /// Frees space the way a user would: a larger disk under the same path.
    func grow(toMegabytes megabytes: Int) throws {
        try Self.mount(["-o", "remount,size=\(megabytes)m", url.path])
    }

    func makeReadOnly() throws {
        try Self.mount(["-o", "remount,ro", url.path])
    }

    func unmount() {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/umount")
        process.arguments = ["-l", url.path]
        try? process.run()
        process.waitUntilExit()
    }

    private static func mount(_ arguments: [String]) throws {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mount")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw Failure(description: "mount \(arguments.joined(separator: " ")) failed (the local-fault tests mount a tmpfs and need root): \(text)")
        }
    }
}
