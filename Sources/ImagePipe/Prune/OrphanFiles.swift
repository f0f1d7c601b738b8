import Foundation

/// `imagepipe prune`: the images under output_dir that no current (stage, item) writes, left
/// behind when an `output:` template changed or items left the data. Only image files are
/// candidates (the manifest, runs/ and anything else stay), and nothing is removed unless asked.
public enum OrphanFiles {
    public struct Found: Sendable {
        /// Relative to output_dir, sorted.
        public var paths: [String]
        public var bytes: Int64
    }

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp", "gif"]

    /// Plans the pipeline to learn every path it owns, then lists the images nobody owns.
    public static func find(in pipeline: CompiledPipeline, diagnostics: Diagnostics) -> Found? {
        let builder = PlanBuilder(pipeline: pipeline, diagnostics: diagnostics, sampleCount: 0, stateFolder: nil)
        builder.collectsOwnedPaths = true
        _ = builder.build()
        // A plan with errors does not know every path it owns: deleting on it could lose work.
        guard !diagnostics.hasErrors else { return nil }
        let owned = builder.ownedPaths
        var paths: [String] = []
        var bytes: Int64 = 0
        let root = pipeline.outputDirectory
        guard let walker = FileManager.default.enumerator(atPath: root) else { return Found(paths: [], bytes: 0) }
        while let relative = walker.nextObject() as? String {
            if relative == "runs" { walker.skipDescendants(); continue }
            guard imageExtensions.contains((relative as NSString).pathExtension.lowercased()) else { continue }
            if owned.contains(relative.hashValue) { continue }
            paths.append(relative)
            let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + relative)[.size] as? NSNumber)?.int64Value ?? 0
            bytes += size
        }
        return Found(paths: paths.sorted(), bytes: bytes)
    }

    /// Removes the files, then folders they leave empty; returns what could not be removed.
    public static func remove(_ found: Found, in pipeline: CompiledPipeline) -> [String] {
        var failed: [String] = []
        var folders = Set<String>()
        for relative in found.paths {
            let path = pipeline.outputDirectory + "/" + relative
            if unlink(path) != 0 { failed.append("\(relative): \(String(cString: strerror(errno)))") }
            var folder = (relative as NSString).deletingLastPathComponent
            while !folder.isEmpty {
                folders.insert(folder)
                folder = (folder as NSString).deletingLastPathComponent
            }
        }
        // Deepest first; rmdir leaves a folder that still holds anything.
        for folder in folders.sorted(by: { $0.count > $1.count }) { rmdir(pipeline.outputDirectory + "/" + folder) }
        return failed
    }
}
