import ArgumentParser
import Foundation
import ImagePipe

/// Checks pipeline files and reports every problem at once, as FILE:LINE:COLUMN: error: MESSAGE.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check pipeline files and report every problem at once.",
        discussion: "Reads data files' headers, not whole files (`plan` reads everything). Exit 0 when valid (warnings allowed), 2 when not."
    )

    @Argument(help: "Pipeline files.")
    var files: [String]

    @Option(help: "Output format: text, json (for tools) or github (GitHub Actions annotations).")
    var format: DiagnosticFormat = .text

    @Flag(help: "Treat warnings that would stop a run (a missing environment variable) as errors.")
    var strict = false

    @Flag(help: "Also read every row of the data, as 'plan' does (keys, output paths, fields, requests), without printing a plan: for CI.")
    var data = false

    func run() throws {
        let secrets = SecretSet()
        var allDiagnostics: [Diagnostic] = []
        var invalid = false
        for file in files {
            let outcome = PipelineValidator(strict: strict, secrets: secrets).validate(path: file)
            if data, outcome.isValid, let pipeline = outcome.pipeline {
                // The plan's pass over the data, without the ledger or samples: what a run would meet.
                _ = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics, sampleCount: 0).build()
            }
            allDiagnostics += outcome.diagnostics.sorted()
            if !outcome.isValid { invalid = true }
            if format == .text {
                let d = outcome.diagnostics
                let summary = outcome.isValid
                    ? "\(file): valid" + (d.warningCount > 0 ? " (\(d.warningCount) warning\(d.warningCount == 1 ? "" : "s"))" : "")
                    : "\(file): \(d.errorCount) error\(d.errorCount == 1 ? "" : "s")" + (d.warningCount > 0 ? ", \(d.warningCount) warning\(d.warningCount == 1 ? "" : "s")" : "")
                        + (d.droppedCount > 0 ? " (\(d.droppedCount) more not shown)" : "")
                StandardStream.output.write(format.render(outcome.diagnostics.sorted(), secrets: secrets) + summary + "\n")
            }
        }
        if format != .text { StandardStream.output.write(format.render(allDiagnostics, secrets: secrets)) }
        if invalid { throw ExitCode(ExitStatus.invalid) }
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}
