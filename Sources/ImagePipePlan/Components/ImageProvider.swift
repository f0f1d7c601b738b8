import ImagePipeCore
import ImagePipeLanguage
/// One image to make: everything a provider needs, rendered for one item.
public struct ImageRequest: Sendable {
    public var stage: String
    public var key: String
    public var variant: Int
    public var model: String
    public var prompt: String
    public var negativePrompt: String?
    public var size: ImageSize?
    public var aspectRatio: AspectRatio?
    public var resolution: String?
    public var seed: Int?
    public var quality: String?
    public var background: String?
    public var outputFormat: String?
    /// For `edit`: the input image's bytes and where they came from.
    public var inputImage: [UInt8]?
    public var inputImagePath: String?
    /// Where the image will be stored (absolute); the `command` provider is told to write here.
    public var outputPath: String
    public var timeout: Double
    /// A stage's `params:`: input fields sent as given, over what the provider would send.
    public var params: JSONValue?

    public init(stage: String, key: String, variant: Int, model: String, prompt: String, negativePrompt: String? = nil, size: ImageSize? = nil,
                aspectRatio: AspectRatio? = nil, resolution: String? = nil, seed: Int? = nil, quality: String? = nil, background: String? = nil,
                outputFormat: String? = nil, inputImage: [UInt8]? = nil, inputImagePath: String? = nil, outputPath: String, timeout: Double) {
        self.stage = stage
        self.key = key
        self.variant = variant
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.size = size
        self.aspectRatio = aspectRatio
        self.resolution = resolution
        self.seed = seed
        self.quality = quality
        self.background = background
        self.outputFormat = outputFormat
        self.inputImage = inputImage
        self.inputImagePath = inputImagePath
        self.outputPath = outputPath
        self.timeout = timeout
    }

    /// The pixel size to render when a provider needs one: the size, else the aspect ratio at
    /// the resolution tier's long side, else 1024 square.
    public var effectiveSize: ImageSize {
        if let size { return size }
        let long: Int
        switch resolution {
        case "2K": long = 2048
        case "4K": long = 4096
        default: long = 1024
        }
        guard let ratio = aspectRatio else { return ImageSize(width: long, height: long) }
        if ratio.width >= ratio.height {
            return ImageSize(width: long, height: max(1, long * ratio.height / ratio.width))
        }
        return ImageSize(width: max(1, long * ratio.width / ratio.height), height: long)
    }
}

/// What a provider returns: the image's bytes.
public struct ProviderImage: Sendable {
    public var bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
}

/// A generation backend at the boundary: one call, one image, or a classified failure.
public protocol ImageProvider: Sendable {
    func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage
}

extension ImageRequest {
    /// A JSON body's fields with the stage's `params:` laid over them: a param replaces the field
    /// of its name, or is added after the rest.
    public func overlaid(_ fields: [(String, JSONValue)]) -> [(String, JSONValue)] {
        guard case .object(let extra)? = params, !extra.isEmpty else { return fields }
        let given = Dictionary(extra, uniquingKeysWith: { _, last in last })
        var out = fields.map { pair in (pair.0, given[pair.0] ?? pair.1) }
        let known = Set(fields.map(\.0))
        var added = Set<String>()
        for (key, value) in extra where !known.contains(key) && added.insert(key).inserted { out.append((key, given[key] ?? value)) }
        return out
    }
}
