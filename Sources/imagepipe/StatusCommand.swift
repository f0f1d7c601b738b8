import ArgumentParser
import Foundation
import ImagePipe

/// What the ledger says: per stage what is done, failed, pending and was cached, and the last run.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the run ledger holds: per stage succeeded, failed by class, pending and cached, and the last run.",
        discussion: "Reads the ledger only; calls nothing and writes nothing. Exit 0, or 2 when the pipeline is invalid or has no ledger yet."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var pipelineOptions: PipelineOptions

    @Flag(help: "List the failed items with their messages.")
    var failed = false

    @Flag(help: "List every run: when, how long, its exit code, what it did and what it cost.")
    var runs = false

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        let file = pipelineOptions.file
        let secrets = SecretSet()
        let outcome = PipelineValidator(secrets: secrets).validate(path: file)
        guard let pipeline = outcome.pipeline, outcome.isValid else {
            StandardStream.error.write(DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets))
            throw ExitCode(ExitStatus.invalid)
        }
        let path = pipelineOptions.state ?? Ledger.defaultPath(for: pipeline)
        let display = Ledger.displayPath(path, for: pipeline)
        let status: LedgerStatus
        do {
            guard let ledger = try LedgerStores.existing(path, pipeline: pipeline.spec.name) else {
                StandardStream.error.write("\(file): no ledger at \(display) yet: the pipeline has not run (imagepipe run \(file))\n")
                throw ExitCode(ExitStatus.invalid)
            }
            status = try ledger.status(stageOrder: pipeline.stages.map(\.name))
        } catch let error as Ledger.Failure {
            StandardStream.error.write("\(file): error: \(error.description)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let printer = LedgerStatusPrinter(file: file, ledger: display, listFailures: failed, listRuns: runs)
        StandardStream.output.write(secrets.redact(format == .json ? printer.json(status) : printer.text(status)))
    }
}
