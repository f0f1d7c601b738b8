import ImagePipeCore
/// `checks:` on an image stage: what every image it makes must pass before it is kept.
public struct ImageChecks: Sendable, Equatable {
    public var minWidth: Int?
    public var minHeight: Int?
    /// Width ÷ height, from `aspect_ratio: "1.91:1"`.
    public var aspectRatio: Double?
    public var aspectRatioText: String?
    /// How far the measured ratio may stray, as a fraction of the asked one.
    public var tolerance: Double
    public var maxBytes: Int?
    /// The least standard deviation of the image's luminance (0–255) a non-blank image has.
    public var notBlank: Double?
    /// The largest Hamming distance between perceptual hashes at which two images count as the same.
    public var distinct: Int?

    public static let defaultTolerance = 0.02
    public static let defaultBlankDeviation = 2.0
    public static let defaultDistinctThreshold = 6

    public var isEmpty: Bool {
        minWidth == nil && minHeight == nil && aspectRatio == nil && maxBytes == nil && notBlank == nil && distinct == nil
    }
    /// Whether a check needs the pixels (not only the header).
    public var needsPixels: Bool { notBlank != nil || distinct != nil }

    public static let notBlankDeclaration = ObjectSpec("NotBlankCheck", doc: "How uniform an image may be before it counts as blank.", fields: [
        FieldSpec("min_deviation", .number(min: 0), default: .double(defaultBlankDeviation),
                  doc: "The least standard deviation of the image's luminance (0–255, measured on a 64×64 reduction) a non-blank image has."),
    ])
    public static let distinctDeclaration = ObjectSpec("DistinctCheck", doc: "How alike two images of a stage may be.", fields: [
        FieldSpec("threshold", .integer(min: 0, max: 63), default: .int(defaultDistinctThreshold),
                  doc: "Two images whose 64-bit perceptual hashes differ in at most this many bits are near-duplicates: the one that finishes later fails."),
    ])
    public static let declaration = ObjectSpec("ImageChecks", doc: "Checks every image of the stage must pass before it is kept; a failure is `check_failed` with the measured value, which the manifest's `checks` also records.", fields: [
        FieldSpec("min_width", .integer(min: 1), doc: "The least width in pixels."),
        FieldSpec("min_height", .integer(min: 1), doc: "The least height in pixels."),
        FieldSpec("aspect_ratio", .string(pattern: "[0-9]+(\\.[0-9]+)?:[0-9]+(\\.[0-9]+)?", patternHelp: "a ratio \"W:H\" like \"1.91:1\" or \"16:9\""),
                  doc: "The width-to-height ratio every image must have, within `tolerance`."),
        FieldSpec("tolerance", .number(min: 0), default: .double(defaultTolerance), doc: "How far the ratio may stray from `aspect_ratio`, as a fraction of it (0.02 is 2%)."),
        FieldSpec("max_bytes", .integer(min: 1), doc: "The largest file size in bytes."),
        FieldSpec("not_blank", .toggleOrObject(notBlankDeclaration),
                  doc: "Refuse near-uniform images (an empty frame): `true`, or `{ min_deviation: N }` (default \(JSONValue.format(defaultBlankDeviation)): the luminance's standard deviation, 0–255)."),
        FieldSpec("distinct", .toggleOrObject(distinctDeclaration),
                  doc: "Refuse near-duplicates of an earlier image of the stage in this run: `true`, or `{ threshold: N }` (default \(defaultDistinctThreshold) of 64 bits: the Hamming distance between perceptual hashes at or below which two images are the same)."),
    ])

    public init() { tolerance = Self.defaultTolerance }

    public init(_ o: ConfigObject) {
        minWidth = o.int("min_width")
        minHeight = o.int("min_height")
        aspectRatioText = o.string("aspect_ratio")?.value
        aspectRatio = aspectRatioText.flatMap(Self.ratio)
        tolerance = o.double("tolerance") ?? Self.defaultTolerance
        maxBytes = o.int("max_bytes")
        if let flag = o.bool("not_blank") {
            notBlank = flag ? Self.defaultBlankDeviation : nil
        } else if let settings = o.object("not_blank") {
            notBlank = settings.double("min_deviation") ?? Self.defaultBlankDeviation
        }
        if let flag = o.bool("distinct") {
            distinct = flag ? Self.defaultDistinctThreshold : nil
        } else if let settings = o.object("distinct") {
            distinct = settings.int("threshold") ?? Self.defaultDistinctThreshold
        }
    }

    /// `"1.91:1"` → 1.91; nil for a zero side.
    public static func ratio(_ text: String) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w > 0, h > 0 else { return nil }
        return w / h
    }
}

/// What a stage does when an image fails its checks.
public enum CheckFailureAction: String, Sendable {
    /// The item fails (`check_failed`).
    case fail
    /// The image is made again (a new seed where the provider takes one), up to `max_regenerations` times.
    case regenerate
}

/// The settings every image stage (`generate`, `edit`, `transform`) has about the images it
/// keeps: checks, what a failed check does, and provenance.
public struct ImageKeeping: Sendable {
    public var checks: ImageChecks
    public var onCheckFailure: CheckFailureAction
    public var maxRegenerations: Int
    /// Nil: the pipeline's setting.
    public var provenance: ProvenanceSetting?
    public var onCheckFailureLocation: SourceLocation?

    public static let defaultMaxRegenerations = 2

    public static func fields(regenerates: Bool) -> [FieldSpec] {
        [
            FieldSpec("checks", .object(ImageChecks.declaration), doc: "Checks every image must pass: sizes, aspect ratio, file size, not blank, distinct."),
            FieldSpec("on_check_failure", .choice(regenerates ? ["fail", "regenerate"] : ["fail"]), default: .string("fail"),
                      doc: regenerates ? "What a failed check does: `fail` the item (`check_failed`), or `regenerate` the image (a new seed where the provider takes one; each image made is paid and counted)."
                                       : "What a failed check does: `fail` the item (`check_failed`); a transform would make the same image again."),
        ] + (regenerates ? [FieldSpec("max_regenerations", .integer(min: 1, max: 10), default: .int(defaultMaxRegenerations),
                                      doc: "With `on_check_failure: regenerate`: how many more images one item may be made before it fails.")] : [])
            + [ProvenanceSetting.field]
    }

    public init(_ o: ConfigObject) {
        checks = o.object("checks").map(ImageChecks.init) ?? ImageChecks()
        onCheckFailure = CheckFailureAction(rawValue: o.string("on_check_failure")?.value ?? "fail") ?? .fail
        onCheckFailureLocation = o.has("on_check_failure") ? o.keyLocation("on_check_failure") : nil
        maxRegenerations = o.spec.fields.contains { $0.name == "max_regenerations" } ? o.int("max_regenerations") ?? Self.defaultMaxRegenerations : 0
        provenance = ProvenanceSetting.read(o)
    }
}
