import ArgumentParser
import Foundation
import ImagePipe

/// The dry run: what a run would do, with prompts, output paths and cost, calling nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a run would do: the DAG, items, sample prompts and paths, and the estimated cost.",
        discussion: "Reads every data file in full (streamed), calls nothing and writes nothing. Exit 0 when valid, 2 when not."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var pipelineOptions: PipelineOptions

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Sample items shown per stage.")
    var samples = 3

    @Flag(help: "Treat warnings that would stop a run (a missing environment variable) as errors.")
    var strict = false

    @Option(help: "Plan only the first N items of each source, as 'run --limit' would take them.")
    var limit: Int?

    @Option(name: .customLong("key"), help: ArgumentHelp("Plan only the item with this key (repeatable), as 'run --key'.", valueName: "key"))
    var keys: [String] = []

    @Flag(help: "Plan only the items whose last attempt failed, as 'run --retry-failed'.")
    var retryFailed = false

    @Option(name: .customLong("where"), help: ArgumentHelp("Plan only the items whose fields meet this condition, as 'run --where'.", valueName: "condition"))
    var condition: String?

    @Option(help: ArgumentHelp("Plan only the items of shard I of N, as 'run --shard'.", valueName: "I/N"))
    var shard: String?

    func validate() throws {
        _ = try ShardArgument.parse(shard)
        guard samples >= 0 else { throw ValidationError("--samples must be 0 or more") }
        if let limit { guard limit > 0 else { throw ValidationError("--limit must be 1 or more") } }
        _ = try WhereArgument.parse(condition)
    }

    func run() throws {
        let secrets = SecretSet()
        let outcome = PipelineValidator(strict: strict, secrets: secrets).validate(path: pipelineOptions.file)
        var report: PlanReport?
        if outcome.isValid, let pipeline = outcome.pipeline {
            // What earlier runs finished: read only, and only if there is a ledger already.
            let ledgerPath = pipelineOptions.state ?? Ledger.defaultPath(for: pipeline)
            var cache: LedgerSnapshot?
            var existing: (any LedgerStore)?
            do {
                existing = try LedgerStores.existing(ledgerPath, pipeline: pipeline.spec.name)
                cache = try existing?.successes()
                if pipelineOptions.state == nil, pipeline.spec.state == nil, let owner = existing?.owner(), owner != pipeline.files.pipelineFile,
                   FileManager.default.fileExists(atPath: owner) {
                    outcome.diagnostics.warning("\(Ledger.shown(owner)) has the same name '\(pipeline.spec.name)' and owns the ledger \(Ledger.displayPath(ledgerPath, for: pipeline)): "
                                                + "'imagepipe run' refuses to share it, and the cached counts below are that pipeline's",
                                                at: pipeline.spec.root.keyLocation("name"), hint: "give this pipeline its own 'name:', or set 'state:'")
                }
            } catch {
                StandardStream.error.write("warning: \(error.description); cached items are not counted\n")
            }
            var selection = ItemSelection(limit: limit, keys: keys.isEmpty ? nil : Set(keys),
                                          condition: try WhereArgument.parse(condition).map { ($0, condition ?? "") },
                                          shard: try ShardArgument.parse(shard))
            if retryFailed { selection.unfinished = (try? existing?.unfinishedKeys()) ?? [] }
            report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, sampleCount: samples, cache: cache,
                                 ledgerPath: cache == nil ? nil : Ledger.displayPath(ledgerPath, for: pipeline),
                                 stateFolder: Ledger.folderPlace(ledgerPath, for: pipeline),
                                 selection: selection).build()
        }
        let diagnostics = outcome.diagnostics.sorted()
        let printer = PlanPrinter(secrets: secrets)
        switch format {
        case .text:
            let rendered = DiagnosticFormat.text.render(diagnostics, secrets: secrets)
            if !rendered.isEmpty { StandardStream.error.write(rendered) }
            if outcome.diagnostics.droppedCount > 0 {
                StandardStream.error.write("(\(outcome.diagnostics.droppedCount) more problems not shown)\n")
            }
            if let report, !outcome.diagnostics.hasErrors { StandardStream.output.write(printer.text(report)) }
        case .json:
            if let report, !outcome.diagnostics.hasErrors {
                StandardStream.output.write(printer.json(report, diagnostics: diagnostics))
            } else {
                StandardStream.output.write(DiagnosticFormat.json.render(diagnostics, secrets: secrets))
            }
        }
        if outcome.diagnostics.hasErrors || !outcome.isValid { throw ExitCode(ExitStatus.invalid) }
    }
}
