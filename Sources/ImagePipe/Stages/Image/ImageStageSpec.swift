/// A `generate` or `edit` stage: prompts in, images out.
public struct ImageStageSpec: StageConfig {
    public var provider: Located<String>?
    public var model: Located<String>?
    public var templateName: Located<String>?
    public var prompt: Located<String>?
    public var negativePrompt: Located<String>?
    public var size: ImageSize?
    public var aspectRatio: AspectRatio?
    public var resolution: String?
    public var seed: Int?
    public var variants: Int
    public var quality: String?
    public var background: String?
    public var outputFormat: String?
    public var matrix: [(field: Located<String>, values: [ConfigNode])]
    public var output: Located<String>?
    /// `edit` fed from a source: the field holding the input image's path.
    public var image: Located<String>?
    public var imageKeyLocation: SourceLocation?
    /// Checks, what a failed one does, provenance.
    public var keeping: ImageKeeping
    /// Extra input fields for the provider, passed through as given (their strings are templates).
    public var params: ConfigNode?
    /// `batch:` as written on the stage; `batchOff` for `batch: false` (over the provider's).
    public var batch: BatchSetting?
    public var batchOff = false
    public var batchKeyLocation: SourceLocation?

    public static let resolutions = ["1K", "2K", "4K"]

    private static func fields(edit: Bool) -> [FieldSpec] {
        var fields = StageSpec.commonFields + [
            FieldSpec("provider", .reference(.provider), doc: "The provider to call (default: `defaults.provider`)."),
            FieldSpec("model", .string(), required: true, doc: "The model name the provider expects, e.g. `gpt-image-1` or `gemini-2.5-flash-image`."),
            FieldSpec("template", .reference(.template), doc: "The name of a prompt template in `templates`."),
            FieldSpec("prompt", .template, doc: "An inline prompt template."),
            FieldSpec("negative_prompt", .template, doc: "What the image should not show, for providers that take it."),
            FieldSpec("size", .size, doc: "Pixel size WIDTHxHEIGHT."),
            FieldSpec("aspect_ratio", .aspectRatio, doc: "Aspect ratio \"W:H\" for providers that take one instead of a size."),
            FieldSpec("resolution", .choice(resolutions), doc: "Resolution tier with `aspect_ratio`."),
            FieldSpec("seed", .integer(min: 0), doc: "A fixed seed, for providers that take one."),
            FieldSpec("quality", .choice(["auto", "low", "medium", "high", "standard", "hd"]), doc: "Image quality, for providers that take it (OpenAI)."),
            FieldSpec("background", .choice(["auto", "transparent", "opaque"]), doc: "Background, for providers that take it (OpenAI's gpt-image models)."),
            FieldSpec("output_format", .choice(["png", "jpeg", "webp"]), doc: "The file format to ask for, for providers that take it (OpenAI's gpt-image models). The written file keeps what the provider sends."),
            FieldSpec("variants", .integer(min: 1, max: 100), default: .int(1), doc: "Images per item; templates see `{{ variant }}` (1, 2, …)."),
            FieldSpec("matrix", .map(.list(.scalar, minCount: 1), keyPattern: PipelineSpec.namePattern), doc: "Fans each item out over every combination of these values; each key becomes a field."),
            FieldSpec("params", .map(.json), doc: "Extra input fields sent to the provider as given, after (and over) what imagepipe sends: a model's own options on fal or Replicate (`num_inference_steps`, `enable_safety_checker`), or Seedream's `response_format`. On Gemini they go into `generationConfig`; OpenAI's multipart edits ignore them. Strings are templates. Part of each image's fingerprint."),
            FieldSpec("output", .template, required: true, doc: "The image's path, a template relative to `output_dir`. It must stay inside `output_dir` and be unique per item."),
            BatchSetting.field,
        ] + ImageKeeping.fields(regenerates: true)
        if edit {
            fields.append(FieldSpec("image", .template, doc: "When `from` is a source: the field that holds each item's input image path (relative to the pipeline file)."))
        }
        return fields
    }

    public static let generateDeclaration = ObjectSpec("GenerateStage", doc: "Records → images.", fields: fields(edit: false),
                                                       exactlyOne: [["template", "prompt"]], atMostOne: [["size", "aspect_ratio"]])
    public static let editDeclaration = ObjectSpec("EditStage", doc: "Images → images (image-to-image).", fields: fields(edit: true),
                                                   exactlyOne: [["template", "prompt"]], atMostOne: [["size", "aspect_ratio"]])

    init(_ o: ConfigObject) {
        provider = o.string("provider")
        model = o.string("model")
        templateName = o.string("template")
        prompt = o.string("prompt")
        negativePrompt = o.string("negative_prompt")
        size = o.size("size")
        aspectRatio = o.aspectRatio("aspect_ratio")
        resolution = o.string("resolution")?.value
        seed = o.int("seed")
        variants = o.int("variants") ?? 1
        quality = o.string("quality")?.value
        background = o.string("background")?.value
        outputFormat = o.string("output_format")?.value
        matrix = (o.map("matrix") ?? []).map { pair in
            if case .list(let values) = pair.value.value { return (pair.key, values) }
            return (pair.key, [])
        }
        output = o.string("output")
        keeping = ImageKeeping(o)
        params = o.node("params")
        batch = BatchSetting.read(o)
        batchOff = BatchSetting.isTurnedOff(o)
        batchKeyLocation = o.has("batch") ? o.keyLocation("batch") : nil
        if o.spec === Self.editDeclaration {
            image = o.string("image")
            imageKeyLocation = o.has("image") ? o.keyLocation("image") : nil
        }
    }
}

extension ImageStageSpec {
    public var addedFields: [String] { matrix.map(\.field.value) }
    public var templateNames: [String] { templateName.map { [$0.value] } ?? [] }
}
