import Foundation

/// `imagepipe merge`: the manifests of several shards' output folders (`run --shard I/N` on as
/// many machines) as one `manifest.jsonl`: one line per (stage, item, variant, matrix values,
/// output); where a unit appears in more than one folder, the line that finished last wins.
/// Lines are copied as written, so the merged manifest reads exactly like a single run's.
public enum ManifestMerge {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public struct Result: Sendable {
        public var lines = 0
        public var folders = 0
        /// Units found in more than one folder (the latest line kept).
        public var duplicates = 0
        /// Lines that are not manifest lines (a broken write), skipped, as "file:line".
        public var skipped: [String] = []
    }

    public static func merge(folders: [String], into output: String) throws(Failure) -> Result {
        guard !folders.isEmpty else { throw Failure(description: "name at least one output folder to merge") }
        var result = Result()
        var latest: [String: (finishedAt: Double, order: Int, line: String)] = [:]
        var order = 0
        for folder in folders {
            let path = folder.hasSuffix(".jsonl") ? folder : folder + "/manifest.jsonl"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "\(path): no manifest there; merge takes the output folders of runs (each holds manifest.jsonl), or manifest files")
            }
            result.folders += 1
            for (number, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
                let line = String(raw)
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let stage = object["stage"] as? String, let key = object["key"] as? String else {
                    result.skipped.append("\(path):\(number + 1)")
                    continue
                }
                let identity = Self.identity(stage: stage, key: key, object)
                let finished = (object["finished_at"] as? NSNumber)?.doubleValue ?? 0
                order += 1
                if let earlier = latest[identity] {
                    result.duplicates += 1
                    if earlier.finishedAt > finished { continue }
                    latest[identity] = (finished, earlier.order, line)
                } else {
                    latest[identity] = (finished, order, line)
                }
            }
        }
        // In the order first seen: each shard's lines keep their stage order.
        let lines = latest.values.sorted { $0.order < $1.order }.map(\.line)
        result.lines = lines.count
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try AtomicFile.write(Array((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8), to: output + "/manifest.jsonl")
        } catch {
            throw Failure(description: "\(output)/manifest.jsonl: \(error)")
        }
        return result
    }

    static func identity(stage: String, key: String, _ object: [String: Any]) -> String {
        var parts = [stage, key, (object["variant"] as? NSNumber).map { "\($0.intValue)" } ?? "1"]
        if let matrix = object["matrix"] as? [String: Any] {
            parts += matrix.keys.sorted().map { "\($0)=\(matrix[$0] ?? "")" }
        }
        if let output = object["output"] as? String { parts.append("output=\(output)") }
        return parts.joined(separator: "\u{1F}")
    }
}
