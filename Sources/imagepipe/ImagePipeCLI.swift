import ArgumentParser
import Foundation
import ImagePipe

/// Turns a YAML file into a production image-generation pipeline.
struct ImagePipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagepipe",
        abstract: "Turns a YAML file into a production image-generation pipeline.",
        discussion: "Exit codes: 0 all good, 1 some items failed, 2 invalid pipeline or usage, 4 stopped by a full disk or unwritable folder, 130 interrupted.",
        version: ImagePipeVersion.current,
        subcommands: [InitCommand.self, ValidateCommand.self, PlanCommand.self, RunCommand.self, StatusCommand.self, ReportCommand.self, MergeCommand.self, PruneCommand.self, EmulateCommand.self, SchemaCommand.self, DocsCommand.self]
    )
}

/// The entry point. Parsing is done by hand so that usage errors exit with 2, as the docs
/// promise, rather than ArgumentParser's 64.
@main
enum ImagePipeCLI {
    static func main() async {
        StandardStream.ignoreBrokenPipes()
        do {
            var command = try ImagePipeCommand.parseAsRoot(ForceArguments.rewrite(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = ImagePipeCommand.exitCode(for: error)
            let message = ImagePipeCommand.fullMessage(for: error)
            if code == .success {
                StandardStream.output.write(message + "\n")
                Foundation.exit(0)
            }
            StandardStream.error.write(message + "\n")
            Foundation.exit(code == .validationFailure ? ExitStatus.invalid : code.rawValue)
        }
    }
}
