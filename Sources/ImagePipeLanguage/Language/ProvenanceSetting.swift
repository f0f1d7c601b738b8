import ImagePipeCore
/// `provenance:` at the top level or on a stage: whether the images imagepipe writes carry their
/// origin (XMP with IPTC's digital source type, the model, provider, prompt, seed, pipeline and
/// run), and whether the prompt is written out or only its hash.
public struct ProvenanceSetting: Sendable, Equatable {
    public enum Prompt: String, Sendable { case text, hash }

    public var enabled: Bool
    public var prompt: Prompt

    /// On, with the prompt written out: generated images say so unless told not to.
    public static let standard = ProvenanceSetting(enabled: true, prompt: .text)

    public init(enabled: Bool, prompt: Prompt) {
        self.enabled = enabled
        self.prompt = prompt
    }

    public static let declaration = ObjectSpec("Provenance", doc: "Provenance settings.", fields: [
        FieldSpec("prompt", .choice(["text", "hash"]), default: .string("text"),
                  doc: "Write the prompt itself, or only its SHA-256 (`hash`) for prompts that must not travel with the image."),
    ])
    public static let field = FieldSpec("provenance", .toggleOrObject(declaration),
                                        doc: "Whether images carry their origin in XMP metadata (IPTC digital source type `trainedAlgorithmicMedia`, and the model, provider, prompt, seed, pipeline and run id in the `imagepipe` namespace), readable by exiftool: `true` (the default), `false`, or `{ prompt: hash }`. A stage's setting wins over the pipeline's.")

    /// The setting written under `name` in `o`, nil when it is not there.
    public static func read(_ o: ConfigObject, _ name: String = "provenance") -> ProvenanceSetting? {
        if let flag = o.bool(name) { return ProvenanceSetting(enabled: flag, prompt: .text) }
        guard let settings = o.object(name) else { return nil }
        return ProvenanceSetting(enabled: true, prompt: Prompt(rawValue: settings.string("prompt")?.value ?? "text") ?? .text)
    }
}
