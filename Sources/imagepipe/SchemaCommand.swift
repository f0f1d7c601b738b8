import ArgumentParser
import ImagePipe

/// Prints the JSON Schema of the pipeline language, for editor completion.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of the pipeline language, or of a manifest line.",
        discussion: "Generated from the same declarations the validator and the manifest writer use; schemas/pipeline.schema.json and schemas/manifest.schema.json are these outputs."
    )

    @Flag(help: "The schema of one manifest line (manifest.jsonl, runs/RUN_ID.jsonl) instead.")
    var manifest = false

    func run() throws {
        let schema = manifest ? ManifestLineSchema.schema() : JSONSchemaGenerator.schema()
        StandardStream.output.write(schema.serialized() + "\n")
    }
}
