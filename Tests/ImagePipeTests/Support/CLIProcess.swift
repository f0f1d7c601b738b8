import Foundation

/// The built `imagepipe` binary started as a child process, as users and CI start it, with its
/// output collected in files (so a test can signal it while it runs).
final class CLIProcess {
    static let binary = Fixtures.repository.appendingPathComponent(".build/debug/imagepipe")

    let process = ChildProcess()
    private let outURL: URL
    private let errURL: URL

    /// `log`: one file for both streams (`> run.log 2>&1`), as CI systems and cron jobs keep it.
    init(_ arguments: [String], in directory: URL, environment: [String: String] = [:], log: URL? = nil) throws {
        let scratch = Fixtures.temporaryDirectory()
        outURL = log ?? scratch.appendingPathComponent("stdout")
        errURL = log ?? scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        let out = try FileHandle(forWritingTo: outURL)
        process.standardOutput = out
        // One open file for both, as a shell's `2>&1` gives: one offset, nothing overwritten.
        process.standardError = log == nil ? try FileHandle(forWritingTo: errURL) : out
        try process.run()
    }

    /// Waits for the exit, at most `timeout` seconds (then kills it and reports -1).
    func wait(timeout: Double = 120) async -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.terminate()
            return -1
        }
        return process.terminationStatus
    }

    func signal(_ signo: Int32) { kill(process.processIdentifier, signo) }

    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Runs to the end.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let p = try CLIProcess(arguments, in: directory, environment: environment)
        let status = await p.wait()
        return (status, p.stdout, p.stderr)
    }
}
