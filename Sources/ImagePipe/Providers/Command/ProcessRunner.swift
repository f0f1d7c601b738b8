import Foundation

/// Runs a program to completion with a time limit. It starts in a process group of its own, so
/// that a timeout or an interrupt ends the program and everything it started; its output goes to
/// temporary files, not pipes, so a chatty program can never block on a full pipe; and signals
/// our own process ignores (SIGINT during a graceful stop) are reset to their defaults for it.
enum ProcessRunner {
    struct Result {
        var status: Int32
        var signaled: Bool
        var timedOut: Bool
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Stdout beyond this is not read (the JSON answer is small).
    static let outputLimit = 1 << 20
    /// After SIGTERM, how long the program has before SIGKILL.
    static let killDelay = 2.0

    static func run(executable: String, arguments: [String], workingDirectory: String, timeout: Double) async throws(CallFailure) -> Result {
        let scratch = NSTemporaryDirectory() + "imagepipe-\(UUID().uuidString)"
        let outPath = scratch + ".out", errPath = scratch + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let pid: pid_t
        do {
            pid = try spawn(executable, arguments, workingDirectory: workingDirectory, stdout: outPath, stderr: errPath)
        } catch {
            throw CallFailure(.local_error, "cannot start \(executable): \(error.description)")
        }
        let exit = ExitWaiter(pid: pid)
        let timedOut = Flag()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            timedOut.set()
            kill(-pid, SIGTERM)
            try await Task.sleep(for: .seconds(killDelay))
            kill(-pid, SIGKILL)
        }
        let status = await withTaskCancellationHandler {
            await exit.wait()
        } onCancel: {
            kill(-pid, SIGKILL)
        }
        watchdog.cancel()
        // The program is gone; anything it left running in its group goes with it.
        kill(-pid, SIGKILL)
        if Task.isCancelled { throw CallFailure(.cancelled, "cancelled") }
        let stdout = (FileHandle(forReadingAtPath: outPath)?.readData(ofLength: outputLimit)).map(Array.init) ?? []
        let stderr = (FileManager.default.contents(atPath: errPath)).map(Array.init) ?? []
        let signaled = (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
        return Result(status: signaled ? status & 0x7F : (status >> 8) & 0xFF, signaled: signaled, timedOut: timedOut.value,
                      stdout: stdout, stderr: stderr)
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    private static func spawn(_ executable: String, _ arguments: [String], workingDirectory: String, stdout: String, stderr: String) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signo in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signo) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var argv = [executable] + arguments
        if let addChdir = addChdir {
            _ = addChdir(&actions, workingDirectory)
        } else {
            // Without glibc's chdir action, env(1) changes folder and execs the program: no shell.
            argv = ["/usr/bin/env", "-C", workingDirectory, "--"] + argv
        }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, environ)
        guard rc == 0 else { throw SpawnError(description: String(cString: strerror(rc))) }
        return pid
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc 2.29+ has `posix_spawn_file_actions_addchdir_np`, which Swift's Glibc module does not export.
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    /// Waits for one child on a thread of its own (waitpid blocks).
    private final class ExitWaiter: Sendable {
        let pid: pid_t
        init(pid: pid_t) { self.pid = pid }

        func wait() async -> Int32 {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [pid] in
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                    continuation.resume(returning: status)
                }
            }
        }
    }

    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var flag = false
        func set() { lock.withLock { flag = true } }
        var value: Bool { lock.withLock { flag } }
    }
}
