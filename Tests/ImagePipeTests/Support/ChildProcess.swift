import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with the part of `Foundation.Process`'s interface
/// the tests use. corelibs-foundation's `Process.run()` on Linux over-reads `/proc/self/fd`
/// entries (swiftlang/swift-corelibs-foundation#5472) and crashes the test process now and then
/// once it has many files open; this starts children without that scan. Every descriptor above
/// stderr is closed in the child (`posix_spawn_file_actions_addclosefrom_np`), as Process does.
final class ChildProcess: @unchecked Sendable {
    var executableURL: URL?
    var arguments: [String] = []
    var currentDirectoryURL: URL?
    var environment: [String: String]?
    /// A `FileHandle` or a `Pipe`, as with Process; nil inherits the test's.
    var standardInput: Any?
    var standardOutput: Any?
    var standardError: Any?

    private let lock = NSLock()
    private var pid: pid_t = 0
    private var status: Int32?

    struct SpawnFailure: Error, CustomStringConvertible { var description: String }

    private typealias FileAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChdirAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    // glibc 2.34 and 2.29; Swift's Glibc module does not declare them.
    private static let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: FileAction.self) }
    private static let changeDirectory = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChdirAction.self) }

    func run() throws {
        guard let executableURL else { throw SpawnFailure(description: "no executable") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var toCloseHere: [FileHandle] = []
        func wire(_ stream: Any?, to target: Int32, writing: Bool) {
            switch stream {
            case let pipe as Pipe:
                let childEnd = writing ? pipe.fileHandleForWriting : pipe.fileHandleForReading
                posix_spawn_file_actions_adddup2(&actions, childEnd.fileDescriptor, target)
                toCloseHere.append(childEnd)
            case let handle as FileHandle where handle === FileHandle.nullDevice:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", writing ? O_WRONLY : O_RDONLY, 0)
            case let handle as FileHandle:
                posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            default:
                break
            }
        }
        wire(standardInput, to: 0, writing: false)
        wire(standardOutput, to: 1, writing: true)
        wire(standardError, to: 2, writing: true)
        guard let closeFrom = Self.closeFrom, let changeDirectory = Self.changeDirectory else {
            throw SpawnFailure(description: "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later)")
        }
        _ = closeFrom(&actions, 3)
        if let currentDirectoryURL { _ = changeDirectory(&actions, currentDirectoryURL.path) }
        let argv = ([executableURL.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executableURL.path, &actions, nil, argv, env)
        guard result == 0 else { throw SpawnFailure(description: "cannot start \(executableURL.path): \(String(cString: strerror(result)))") }
        lock.withLock { pid = child }
        // The parent's copies of the child's pipe ends: closed, so that readers see the end.
        for handle in toCloseHere { try? handle.close() }
    }

    var processIdentifier: Int32 { lock.withLock { pid } }

    var isRunning: Bool {
        lock.withLock {
            guard status == nil, pid > 0 else { return false }
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid {
                status = Self.exitStatus(raw)
                return false
            }
            return reaped == 0
        }
    }

    func waitUntilExit() {
        let child: pid_t = lock.withLock { status == nil ? pid : 0 }
        guard child > 0 else { return }
        var raw: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(child, &raw, 0) } while reaped < 0 && errno == EINTR
        lock.withLock {
            if status == nil { status = reaped == child ? Self.exitStatus(raw) : -1 }
        }
    }

    /// Reads `pipes` to their ends, then waits for the exit, on a thread of its own: blocked, a
    /// thread of the tests' cooperative pool (two on a 2-core machine) holds up every other
    /// suite's tasks, and their sleeps, timeouts and kills come seconds late.
    @discardableResult
    func finish(reading pipes: Pipe...) async -> [Data] {
        let handles = pipes.map(\.fileHandleForReading)
        return await OffPool.run {
            let data = handles.map { $0.readDataToEndOfFile() }
            self.waitUntilExit()
            return data
        }
    }

    /// The exit code, or the signal that ended it (as Process reports it).
    var terminationStatus: Int32 {
        _ = isRunning
        return lock.withLock { status ?? 0 }
    }

    func terminate() {
        let child = lock.withLock { status == nil ? pid : 0 }
        if child > 0 { kill(child, SIGTERM) }
    }

    private static func exitStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }
}
