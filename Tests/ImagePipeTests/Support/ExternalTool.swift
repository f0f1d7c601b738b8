import Foundation

/// A program the tests check imagepipe's files with, as a user would (exiftool, Pillow, the vips
/// command line): run to the end, its output read from a file (no pipe to fill up).
enum ExternalTool {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(_ arguments: [String], in directory: URL? = nil) async throws -> String {
        try await OffPool.run { try runBlocking(arguments, in: directory) }
    }

    private static func runBlocking(_ arguments: [String], in directory: URL?) throws -> String {
        let scratch = Fixtures.temporaryDirectory()
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        process.waitUntilExit()
        let out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(err)")
        }
        return out
    }

    /// exiftool's XMP tags of a file, as `Group:Tag` → value (`XMP-imagepipe:Prompt`).
    static func xmp(of path: String) async throws -> [String: String] {
        let out = try await run(["exiftool", "-j", "-G1", "-XMP:all", path])
        guard let list = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], let first = list.first else { return [:] }
        return first.filter { $0.key != "SourceFile" }.compactMapValues { value in (value as? String) ?? (value as? NSNumber)?.stringValue }
    }

    /// Pillow's view of each file: format, width, height, mode, pixels (a hash).
    static func decoded(_ paths: [String]) async throws -> [String: [String: Any]] {
        let script = Fixtures.repository.appendingPathComponent("Tests/Fixtures/images/decode.py").path
        let out = try await run(["python3", script] + paths)
        var result: [String: [String: Any]] = [:]
        for line in out.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let path = object["path"] as? String else { continue }
            result[path] = object
        }
        return result
    }
}
