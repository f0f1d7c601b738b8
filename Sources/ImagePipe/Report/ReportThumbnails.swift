import Foundation

/// Small WebP thumbnails for the report, made by libvips' `vipsthumbnail` (Debian's libvips-tools)
/// and kept by the image's SHA-256 under `report/thumbs/sha/`: made once, kept across reports, so
/// a regenerated image's earlier picture still shows after its file was overwritten. Each current
/// image's thumbnail is also linked at `report/thumbs/files/PATH.webp`, which the page derives
/// from the image's path (10,000 cards carry no thumbnail names). Without the tool the report
/// shows the originals, and says so.
public struct ReportThumbnails: Sendable {
    /// The longest side, in pixels: twice the card's frame, for sharp thumbnails on dense screens.
    public static let size = 472
    /// Files per `vipsthumbnail` call, and calls at once.
    static let batch = 200

    public struct Made: Sendable {
        /// Thumbnail files by SHA-256, relative to the report folder.
        public var bySHA: [String: String] = [:]
        /// Image paths (relative to output_dir) whose thumbnail is at `thumbs/files/PATH.webp`.
        public var byPath: Set<String> = []
        public var made = 0
        public var reused = 0
        /// Images the tool could not read (not an image, or gone).
        public var failed = 0
        /// Why there are none, when there are none.
        public var note: String?

        public init() {}
    }

    public let tool: String?

    /// `IMAGEPIPE_VIPSTHUMBNAIL`, else `vipsthumbnail` on the PATH.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let given = environment["IMAGEPIPE_VIPSTHUMBNAIL"], !given.isEmpty {
            tool = FileManager.default.isExecutableFile(atPath: given) ? given : nil
            return
        }
        tool = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/vipsthumbnail" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Thumbnails for the cards' images (those with a SHA-256 whose file is there).
    public func make(for cards: [ReportModel.Card], outputDirectory: String, reportDirectory: String) -> Made {
        var result = Made()
        let folder = reportDirectory + "/thumbs/sha"
        var wanted: [String: String] = [:]
        var known = Set<String>()
        for card in cards {
            for (sha, path) in [(card.sha256, card.path), (card.earlierSHA256, card.earlierPath)] {
                guard let sha, sha.count == 64, sha.allSatisfy(\.isHexDigit), known.insert(sha).inserted else { continue }
                // A file overwritten since keeps its thumbnail only if an earlier report made one.
                if let path, FileManager.default.fileExists(atPath: outputDirectory + "/" + path) {
                    wanted[sha] = outputDirectory + "/" + path
                } else if FileManager.default.fileExists(atPath: "\(folder)/\(sha).webp") {
                    wanted[sha] = ""
                }
            }
        }
        for sha in Array(wanted.keys) where FileManager.default.fileExists(atPath: "\(folder)/\(sha).webp") {
            result.bySHA[sha] = "thumbs/sha/\(sha).webp"
            result.reused += 1
            wanted[sha] = nil
        }
        guard !wanted.isEmpty else { return linked(result, cards, reportDirectory) }
        guard let tool else {
            result.note = "no thumbnails: vipsthumbnail (libvips-tools) is not installed, so the report shows the original images"
            return linked(result, cards, reportDirectory)
        }
        // The tool names its output after its input: links named by SHA-256 make the names.
        let links = NSTemporaryDirectory() + "imagepipe-thumbs-\(getpid())-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        } catch {
            result.note = "no thumbnails: cannot create \(folder): \((error as NSError).localizedDescription)"
            return result
        }
        defer { try? FileManager.default.removeItem(atPath: links) }
        var inputs: [String] = []
        for (sha, source) in wanted {
            let ext = (source as NSString).pathExtension.isEmpty ? "png" : (source as NSString).pathExtension
            let link = "\(links)/\(sha).\(ext)"
            let absolute = source.hasPrefix("/") ? source : FileManager.default.currentDirectoryPath + "/" + source
            if (try? FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: absolute)) != nil { inputs.append(link) }
        }
        let output = (folder.hasPrefix("/") ? folder : FileManager.default.currentDirectoryPath + "/" + folder) + "/%s.webp[Q=70,strip]"
        let batches = stride(from: 0, to: inputs.count, by: Self.batch).map { Array(inputs[$0..<min($0 + Self.batch, inputs.count)]) }
        let parallel = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: parallel) { lane in
            for index in stride(from: lane, to: batches.count, by: parallel) {
                Self.run(tool, ["--size", "\(Self.size)x\(Self.size)", "-o", output] + batches[index])
            }
        }
        for sha in wanted.keys {
            if FileManager.default.fileExists(atPath: "\(folder)/\(sha).webp") {
                result.bySHA[sha] = "thumbs/sha/\(sha).webp"
                result.made += 1
            } else {
                result.failed += 1
            }
        }
        return linked(result, cards, reportDirectory)
    }

    /// Links each current image's thumbnail at `thumbs/files/PATH.webp` (afresh: paths change).
    private func linked(_ made: Made, _ cards: [ReportModel.Card], _ reportDirectory: String) -> Made {
        var result = made
        let files = reportDirectory + "/thumbs/files"
        try? FileManager.default.removeItem(atPath: files)
        for card in cards where card.status == "succeeded" || card.status == "cached" {
            guard let path = card.path, let sha = card.sha256, let thumb = result.bySHA[sha],
                  RelativePath.normalize(path) == path, !result.byPath.contains(path) else { continue }
            let target = "\(files)/\(path).webp"
            try? FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            do {
                try FileManager.default.linkItem(atPath: reportDirectory + "/" + thumb, toPath: target)
            } catch {
                guard (try? FileManager.default.copyItem(atPath: reportDirectory + "/" + thumb, toPath: target)) != nil else { continue }
            }
            result.byPath.insert(path)
        }
        return result
    }

    /// One call; a file the tool cannot read is reported by the missing thumbnail, not here.
    private static func run(_ tool: String, _ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return
        }
    }
}
