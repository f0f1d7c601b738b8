import ArgumentParser
import Foundation
import ImagePipe

/// Lists (or with --delete removes) images under output_dir that no current item writes.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "List the images under output_dir that no current (stage, item) writes; --delete removes them.",
        discussion: "After an 'output:' change or items leaving the data, the old files stay. prune plans the pipeline to learn every path it owns, and lists the other image files (not the manifest or runs/). Nothing is removed without --delete; a pipeline with errors is not pruned."
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Flag(help: "Remove the files listed (and folders left empty).")
    var delete = false

    func run() throws {
        let secrets = SecretSet()
        let outcome = PipelineValidator(secrets: secrets).validate(path: file)
        guard let pipeline = outcome.pipeline, outcome.isValid, let found = OrphanFiles.find(in: pipeline, diagnostics: outcome.diagnostics) else {
            StandardStream.error.write(DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets))
            StandardStream.error.write("\(file): not pruned: the plan has errors, so it cannot tell which files are still wanted\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let folder = pipeline.displayOutputDirectory
        let size = ByteCountFormatter.string(fromByteCount: found.bytes, countStyle: .file)
        if found.paths.isEmpty {
            StandardStream.output.write("\(folder): every image belongs to a current item; nothing to prune\n")
            return
        }
        for path in found.paths { StandardStream.output.write(RelativePath.join(folder, path) + "\n") }
        guard delete else {
            StandardStream.output.write("\(found.paths.count) image\(found.paths.count == 1 ? "" : "s") (\(size)) no current item writes; imagepipe prune --delete \(file) removes them\n")
            return
        }
        let failed = OrphanFiles.remove(found, in: pipeline)
        for line in failed { StandardStream.error.write("cannot remove \(line)\n") }
        StandardStream.output.write("removed \(found.paths.count - failed.count) image\(found.paths.count - failed.count == 1 ? "" : "s") (\(size))\n")
        if !failed.isEmpty { throw ExitCode(ExitStatus.itemsFailed) }
    }
}
