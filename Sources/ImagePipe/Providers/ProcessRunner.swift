import Foundation

/// Runs a program to completion with a time limit; its output goes to temporary files, not
/// pipes, so a chatty program can never block on a full pipe.
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

    static func run(executable: String, arguments: [String], workingDirectory: String, timeout: Double) async throws(CallFailure) -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("imagepipe-\(UUID().uuidString)")
        let outURL = scratch.appendingPathExtension("out"), errURL = scratch.appendingPathExtension("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        process.standardInput = FileHandle.nullDevice
        guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else {
            throw CallFailure(.local_error, "cannot create temporary files for the command's output")
        }
        process.standardOutput = out
        process.standardError = err
        let finished = AsyncSemaphore(permits: 1)
        try? await finished.acquire()
        process.terminationHandler = { _ in finished.release() }
        do {
            try process.run()
        } catch {
            throw CallFailure(.local_error, "cannot start \(executable): \(error.localizedDescription)")
        }
        try? out.close()
        try? err.close()
        let timedOut = TimedOut()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            timedOut.set()
            process.terminate()
            try await Task.sleep(for: .seconds(2))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        do {
            try await withTaskCancellationHandler {
                try await finished.acquire()
            } onCancel: {
                process.terminate()
            }
        } catch {
            watchdog.cancel()
            // Cancelled: make sure it is gone before the temporary files are.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            throw CallFailure(.cancelled, "cancelled")
        }
        watchdog.cancel()
        let stdout = (try? FileHandle(forReadingFrom: outURL).readData(ofLength: outputLimit)).map(Array.init) ?? []
        let stderr = (try? Data(contentsOf: errURL)).map(Array.init) ?? []
        return Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      timedOut: timedOut.value, stdout: stdout, stderr: stderr)
    }

    private final class TimedOut: @unchecked Sendable {
        private let lock = NSLock()
        private var flag = false
        func set() { lock.withLock { flag = true } }
        var value: Bool { lock.withLock { flag } }
    }
}
