import ArgumentParser
import Foundation
import ImagePipe

/// Combines the manifests of `run --shard I/N` runs into one.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the manifests of sharded runs (run --shard I/N) into one manifest.jsonl.",
        discussion: """
        Reads OUTPUT_DIR/manifest.jsonl of each folder given (or a manifest file itself) and writes DIR/manifest.jsonl: \
        one line per (stage, item, variant, matrix values, output), the latest where a unit appears in more than one. \
        Lines are copied as written. Exit 0, or 2 when a folder has no manifest.
        """
    )

    @Argument(help: ArgumentHelp("The shards' output folders (or their manifest.jsonl files).", valueName: "folder"))
    var folders: [String]

    @Option(help: ArgumentHelp("Where the merged manifest.jsonl goes.", valueName: "DIR"))
    var out: String

    func run() throws {
        let result: ManifestMerge.Result
        do {
            result = try ManifestMerge.merge(folders: folders, into: out)
        } catch {
            StandardStream.error.write("error: \(error.description)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        var line = "merged \(result.folders) manifest\(result.folders == 1 ? "" : "s"): \(result.lines) lines in \(out)/manifest.jsonl"
        if result.duplicates > 0 { line += " (\(result.duplicates) found in more than one, the latest kept)" }
        StandardStream.output.write(line + "\n")
        if !result.skipped.isEmpty {
            StandardStream.error.write("warning: \(result.skipped.count) lines are not manifest lines and were left out: \(result.skipped.prefix(5).joined(separator: ", "))\n")
        }
    }
}

/// `--shard I/N` or `auto/N`, parsed before anything runs.
enum ShardArgument {
    static func parse(_ text: String?) throws -> Shard? {
        guard let text else { return nil }
        do {
            return try Shard.parse(text, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
