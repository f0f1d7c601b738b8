import Foundation

/// Headless Chromium for the report's browser tests: `IMAGEPIPE_CHROMIUM`, else `chromium` on the
/// PATH (scripts/install-test-tools installs Debian's package). Driven by
/// Tests/Fixtures/browser/drive_report.py over the DevTools protocol.
enum Chromium {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "no Chromium: run scripts/install-test-tools (apt-get install chromium) or set IMAGEPIPE_CHROMIUM" }
    }

    static func path() throws -> String {
        if let given = ProcessInfo.processInfo.environment["IMAGEPIPE_CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) { return given }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        throw Missing()
    }

    /// The DOM of a page after its scripts ran (`--dump-dom`).
    static func dom(of page: String) async throws -> String {
        try await OffPool.run { try domBlocking(of: page) }
    }

    private static func domBlocking(of page: String) throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: try path())
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--user-data-dir=" + Fixtures.temporaryDirectory().path, "--dump-dom", URL(fileURLWithPath: page).absoluteString]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Opens the report, clicks its filters, searches, and takes a screenshot; returns what the
    /// driver saw as JSON.
    static func drive(report: String, screenshot: String, search: String = "", stage: String = "") async throws -> [String: Any] {
        // Handed over as JSON text: [String: Any] is not Sendable.
        let text = try await OffPool.run { try driveBlocking(report: report, screenshot: screenshot, search: search, stage: stage) }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    private static func driveBlocking(report: String, screenshot: String, search: String, stage: String) throws -> String {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixtures.repository.appendingPathComponent("Tests/Fixtures/browser/drive_report.py").path,
                             try path(), report, screenshot, search, stage]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw RunHarness.Failure(description: "the browser driver failed (\(process.terminationStatus)): \(errors) \(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
