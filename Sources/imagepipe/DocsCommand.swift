import ArgumentParser
import ImagePipe

/// Prints the reference of the pipeline language as Markdown.
struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Print the pipeline language reference as Markdown.",
        discussion: "Generated from the same declarations the validator uses; docs/pipeline-reference.md is this output."
    )

    func run() throws {
        StandardStream.output.write(ReferenceDocGenerator.markdown())
    }
}
