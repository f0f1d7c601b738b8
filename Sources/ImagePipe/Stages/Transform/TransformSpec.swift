/// A `transform` stage: images in, images out, on libvips (resize, crop, format, quality,
/// metadata, flattening), with one output or several named ones.
public struct TransformSpec: StageConfig {
    public enum Fit: String, Sendable, CaseIterable { case cover, contain, inside, fill }
    /// Where `fit: cover` crops: the middle, or what libvips finds most interesting.
    public enum Position: String, Sendable, CaseIterable { case centre, center, attention, entropy, low, high }
    /// The formats a transform writes: every format imagepipe reads.
    public typealias Format = ImageInfo.Format

    public struct Resize: Sendable, Equatable {
        public var width: Int?
        public var height: Int?
        public var fit: Fit
        public var position: Position
    }

    public struct Crop: Sendable, Equatable {
        public var left: Int
        public var top: Int
        public var width: Int
        public var height: Int
    }

    /// What is done to the image; an output's settings override the stage's, key by key.
    public struct Operations: Sendable, Equatable {
        public var crop: Crop?
        public var resize: Resize?
        public var format: Format?
        public var quality: Int?
        public var strip: Bool?
        public var background: String?

        func overridden(by other: Operations) -> Operations {
            Operations(crop: other.crop ?? crop, resize: other.resize ?? resize, format: other.format ?? format,
                       quality: other.quality ?? quality, strip: other.strip ?? strip, background: other.background ?? background)
        }
    }

    public struct Output: Sendable {
        public var name: Located<String>
        public var operations: Operations
        public var path: Located<String>?
    }

    public var operations: Operations
    public var output: Located<String>?
    public var outputs: [Output]
    public var keeping: ImageKeeping
    public var resizeLocation: SourceLocation?

    public static let defaultQuality = 80
    public static let defaultBackground = "#ffffff"

    static let resizeDeclaration = ObjectSpec("TransformResize", doc: "How to resize.", fields: [
        FieldSpec("width", .integer(min: 1, max: 100_000), doc: "The width in pixels (alone: the height follows the aspect ratio)."),
        FieldSpec("height", .integer(min: 1, max: 100_000), doc: "The height in pixels (alone: the width follows the aspect ratio)."),
        FieldSpec("fit", .choice(Fit.allCases.map(\.rawValue)), default: .string("cover"),
                  doc: "With both sides: `cover` fills width × height and crops what overflows (at `position`); `contain` fits inside and pads with `background` to exactly width × height; `inside` fits inside (the result may be smaller on one side); `fill` stretches to width × height, ignoring the aspect ratio."),
        FieldSpec("position", .choice(Position.allCases.map(\.rawValue)), default: .string("centre"),
                  doc: "Where `cover` crops: `centre`, or libvips' smart crops: `attention` (skin, saturation, edges), `entropy` (the busiest part), `low`/`high` (top-left/bottom-right)."),
    ])
    static let cropDeclaration = ObjectSpec("TransformCrop", doc: "A rectangle cut from the input before resizing, in the input's pixels.", fields: [
        FieldSpec("left", .integer(min: 0), default: .int(0), doc: "Pixels from the left edge."),
        FieldSpec("top", .integer(min: 0), default: .int(0), doc: "Pixels from the top edge."),
        FieldSpec("width", .integer(min: 1), required: true, doc: "The rectangle's width."),
        FieldSpec("height", .integer(min: 1), required: true, doc: "The rectangle's height."),
    ])

    private static func operationFields() -> [FieldSpec] {
        [
            FieldSpec("resize", .object(resizeDeclaration), doc: "Resize: `{ width, height, fit, position }`."),
            FieldSpec("crop", .object(cropDeclaration), doc: "Cut `{ left, top, width, height }` from the input first."),
            FieldSpec("format", .choice(Format.allCases.map(\.rawValue)), doc: "The file format written (default: from the output path's extension, else the input's)."),
            FieldSpec("quality", .integer(min: 1, max: 100), doc: "Quality for JPEG, WebP and AVIF, 1–100 (default \(defaultQuality))."),
            FieldSpec("strip", .boolean, doc: "Drop the input's metadata (EXIF, ICC profile, XMP, provenance included); default false: kept."),
            FieldSpec("background", .string(pattern: "#[0-9A-Fa-f]{6}", patternHelp: "a colour #RRGGBB"),
                      doc: "The colour transparent pixels are flattened onto for formats without alpha (JPEG), and the padding of `fit: contain` (default \(defaultBackground))."),
        ]
    }

    static let outputDeclaration = ObjectSpec("TransformOutput", doc: "One named output of a transform: its settings override the stage's.",
                                              fields: operationFields() + [
        FieldSpec("output", .template, required: true, doc: "This output's path, a template relative to `output_dir`."),
    ])

    public static let declaration = ObjectSpec("TransformStage", doc: "Images → images on libvips: resize, crop, convert. Its `concurrency` defaults to the number of cores, not `defaults.concurrency`.", fields: StageSpec.commonFields + operationFields() + [
        FieldSpec("output", .template, doc: "The image's path, a template relative to `output_dir` (one output)."),
        FieldSpec("outputs", .map(.object(outputDeclaration), keyPattern: PipelineSpec.namePattern),
                  doc: "Several outputs from each input, by name (`og: { resize: { width: 1200, height: 630 }, format: webp, output: … }`): each is its own unit with `{{ output }}` set to its name and its own manifest line (`output` field); stages below receive each output."),
    ] + ImageKeeping.fields(regenerates: false), exactlyOne: [["output", "outputs"]])

    init(_ o: ConfigObject) {
        operations = Self.operations(o)
        output = o.string("output")
        outputs = (o.map("outputs") ?? []).compactMap { pair in
            guard case .object(let settings) = pair.value.value else { return nil }
            return Output(name: pair.key, operations: Self.operations(settings), path: settings.string("output"))
        }
        keeping = ImageKeeping(o)
        resizeLocation = o.has("resize") ? o.keyLocation("resize") : nil
    }

    private static func operations(_ o: ConfigObject) -> Operations {
        Operations(
            crop: o.object("crop").flatMap { c in
                guard let width = c.int("width"), let height = c.int("height") else { return nil }
                return Crop(left: c.int("left") ?? 0, top: c.int("top") ?? 0, width: width, height: height)
            },
            resize: o.object("resize").map { r in
                Resize(width: r.int("width"), height: r.int("height"), fit: Fit(rawValue: r.string("fit")?.value ?? "cover") ?? .cover,
                       position: Position(rawValue: r.string("position")?.value ?? "centre") ?? .centre)
            },
            format: o.string("format").flatMap { Format(rawValue: $0.value) },
            quality: o.int("quality"),
            strip: o.bool("strip"),
            background: o.string("background")?.value
        )
    }

    public var addedFields: [String] { outputs.isEmpty ? [] : ["output"] }
    public var namedOutputs: [String] { outputs.map(\.name.value) }
}
