import ArgumentParser
import Foundation
import ImagePipe

/// Writes a first pipeline from a CSV's header, then checks it.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter pipeline for a CSV file: its columns in the prompt, a key, an output path, the free placeholder provider.",
        discussion: "The pipeline runs offline as written ('imagepipe plan', then 'imagepipe run'); its comments show where a real provider, a budget and an upload go. An existing file is never overwritten."
    )

    @Argument(help: "The CSV file whose header the pipeline is written for.")
    var csv: String

    @Option(name: .shortAndLong, help: "Where to write the pipeline (default: NAME.yaml in the current folder, NAME from the CSV's file name).")
    var output: String?

    func run() throws {
        let here = FileManager.default.currentDirectoryPath
        let csvPath = csv.hasPrefix("/") ? csv : here + "/" + csv
        let stem = ((csv as NSString).lastPathComponent as NSString).deletingPathExtension
        let target = output ?? (TemplateFilter.slug(stem).replacingOccurrences(of: "-", with: "_").nilIfEmpty ?? "pipeline") + ".yaml"
        let targetPath = target.hasPrefix("/") ? target : here + "/" + target
        guard !FileManager.default.fileExists(atPath: targetPath) else {
            StandardStream.error.write("error: \(target) exists; imagepipe init never overwrites a file (name another with --output)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let text: String
        do {
            text = try StarterPipeline.yaml(csvPath: csvPath, displayPath: csv, pipelineDirectory: (targetPath as NSString).deletingLastPathComponent)
        } catch {
            StandardStream.error.write("error: \(error.description)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        do {
            try text.write(toFile: targetPath, atomically: true, encoding: .utf8)
        } catch {
            StandardStream.error.write("error: cannot write \(target): \(error.localizedDescription)\n")
            throw ExitCode(ExitStatus.invalid)
        }
        let secrets = SecretSet()
        let outcome = PipelineValidator(secrets: secrets).validate(path: targetPath, displayPath: target)
        StandardStream.error.write(DiagnosticFormat.text.render(outcome.diagnostics.sorted(), secrets: secrets))
        StandardStream.output.write("wrote \(target)" + (outcome.isValid ? "; next: imagepipe plan \(target)\n" : "; it needs the fixes above\n"))
        if !outcome.isValid { throw ExitCode(ExitStatus.invalid) }
    }
}

private extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
