import ArgumentParser
import Foundation
import ImagePipe

/// A static HTML report of what the pipeline made: a card per (stage, item), failures first.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of the pipeline's images: a card per (stage, item), failures first, with filters and search.",
        discussion: """
        Reads the manifest (output_dir/manifest.jsonl) and writes output_dir/report/index.html with report.css, report.js and \
        data.js: a static site that opens from disk or any static host. Filters live in the URL fragment, e.g. \
        index.html#status=failed&stage=hero, so a link opens a filtered view. --compare RUN (or 'previous') marks each image \
        new, regenerated or unchanged since that run and lists the ones removed. Calls nothing. Exit 0, or 2 when the \
        pipeline is invalid or has not run.
        """
    )

    @Argument(help: "The pipeline file.")
    var file: String

    @Option(help: ArgumentHelp("Mark what changed since this run: a run id (imagepipe status --runs lists them) or 'previous'.", valueName: "RUN"))
    var compare: String?

    @Option(help: ArgumentHelp("Write the report here instead of output_dir/report.", valueName: "DIR"))
    var out: String?

    func run() throws {
        let secrets = SecretSet()
        let outcome = PipelineValidator(secrets: secrets).validate(path: file)
        guard let pipeline = outcome.pipeline, outcome.isValid else {
            StandardStream.error.write(DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets))
            throw ExitCode(ExitStatus.invalid)
        }
        let directory = out ?? pipeline.outputDirectory + "/report"
        do {
            let model = try ReportModel.load(manifest: pipeline.outputDirectory + "/manifest.jsonl", runsDirectory: pipeline.outputDirectory + "/runs",
                                             stages: pipeline.stages.map(\.name), pipeline: pipeline.spec.name, budgetUSD: pipeline.spec.budgetUSD,
                                             compare: compare)
            let thumbnails = ReportThumbnails().make(for: model.cards, outputDirectory: pipeline.outputDirectory, reportDirectory: directory)
            let written = try ReportWriter.write(model, outputDirectory: pipeline.outputDirectory, reportDirectory: directory,
                                                 thumbnails: thumbnails)
            let shown = out ?? RelativePath.join(pipeline.displayOutputDirectory, "report")
            var line = "report: \(shown)/index.html (\(written.cards) cards, \(written.pageBytes / 1024) KiB before images"
            if thumbnails.made + thumbnails.reused > 0 { line += "; \(thumbnails.made) thumbnails made, \(thumbnails.reused) reused" }
            if thumbnails.failed > 0 { line += "; \(thumbnails.failed) images could not be read, shown as they are" }
            StandardStream.output.write(line + ")\n")
            if let note = thumbnails.note { StandardStream.error.write("note: \(note)\n") }
        } catch let error as ReportModel.Failure {
            StandardStream.error.write("\(file): error: \(error.description)\n")
            throw ExitCode(ExitStatus.invalid)
        } catch let error as AtomicFile.Failure {
            StandardStream.error.write("\(file): error: cannot write the report: \(error.description)\n")
            throw ExitCode(ExitStatus.invalid)
        }
    }
}
