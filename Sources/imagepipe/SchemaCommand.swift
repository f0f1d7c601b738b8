import ArgumentParser
import ImagePipe

/// Prints the JSON Schema of the pipeline language, for editor completion.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of the pipeline language.",
        discussion: "Generated from the same declarations the validator uses; schemas/pipeline.schema.json is this output."
    )

    func run() throws {
        StandardStream.output.write(JSONSchemaGenerator.schema().serialized() + "\n")
    }
}
