/// `kind: seedream`: BytePlus ModelArk's (and Volcengine Ark's) Seedream image API, synchronous.
struct Seedream: ProviderKind {
    let name = "seedream"
    let summary = "BytePlus ModelArk Seedream (`POST {base_url}/images/generations`); Volcengine Ark through `base_url`."
    var fields: [FieldSpec] {
        Self.httpFields + [
            FieldSpec("watermark", .boolean, default: .bool(false),
                      doc: "Ask for Seedream's visible \"AI generated\" mark in the corner. The API's own default is `true`; imagepipe sends `false` unless this says otherwise (the images say what made them in their XMP provenance instead)."),
            FieldSpec("response_format", .choice(["b64_json", "url"]), default: .string("b64_json"),
                      doc: "How the image comes back: `b64_json` in the answer (imagepipe's default: one round trip), or `url` (the API's default), which expires after 24 hours and is downloaded at once."),
        ]
    }
    let defaultBaseURL: String? = "https://ark.ap-southeast.bytepluses.com/api/v3"
    let apiKeyVariable: String? = "ARK_API_KEY"

    /// From BytePlus ModelArk's image generation API and model list (ai.byteplus.com/ark docs, as
    /// collected in shared/reference/provider-apis.md §5, read 2026-11-27): a `size` is a tier or
    /// WIDTHxHEIGHT within a total pixel range; every model but 5.0 pro/flash edits (`image`).
    /// `aspect_ratio` with `resolution` is sent as the WIDTHxHEIGHT of that ratio with the tier's
    /// pixel count (SeedreamProvider.size), which keeps within each model's pixel range.
    var models: [ModelSpec] {
        let any = ModelSpec.Sizes.free(step: 1, maxRatio: 16, maxWidth: 16_384, maxHeight: 16_384)
        let ratios = ["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"]
        return [
            ModelSpec("seedream-4-0-250828", aliases: ["doubao-seedream-4-0-250828"], sizes: any, aspectRatios: ratios, resolutions: ["1K", "2K", "4K"]),
            ModelSpec("seedream-4-5-251128", aliases: ["doubao-seedream-4-5-251128"], sizes: any, aspectRatios: ratios, resolutions: ["2K", "4K"]),
            ModelSpec("seedream-5-0-260128", aliases: ["seedream-5-0-lite-260128", "doubao-seedream-5-0-260128"], sizes: any, aspectRatios: ratios,
                      resolutions: ["2K", "4K"], takesFormatOptions: true),
            ModelSpec("dola-seedream-5-0-pro-260628", aliases: ["doubao-seedream-5-0-pro-260628"], sizes: any, aspectRatios: ratios,
                      resolutions: ["1K", "2K"], takesFormatOptions: true, edits: false),
            ModelSpec("dola-seedream-5-0-flash-260915", sizes: any, aspectRatios: ratios, resolutions: ["1K", "2K"], takesFormatOptions: true, edits: false),
        ]
    }

    static let pricesSource = "built-in table (BytePlus ModelArk per-image prices as published by resellers aligned to its USD list, 2026-06; "
        + "the official page's rows were not readable: set 'prices' to your contract's)"

    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        let usd: Double
        switch model.lowercased().replacingOccurrences(of: "doubao-", with: "") {
        case "seedream-4-0-250828": usd = 0.03
        case "seedream-4-5-251128": usd = 0.04
        case "seedream-5-0-260128", "seedream-5-0-lite-260128": usd = 0.035
        default: return nil
        }
        return PriceTable.Price(usd: usd, source: Self.pricesSource)
    }

    func identity(of spec: ProviderSpec) -> String {
        // The watermark changes every image; the response format does not.
        (spec.baseURL ?? "") + "\u{1F}watermark=" + String(spec.settings.bool("watermark") ?? false)
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        SeedreamProvider(baseURL: Self.trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport,
                         watermark: spec.settings.bool("watermark") ?? false,
                         responseFormat: spec.settings.string("response_format")?.value ?? "b64_json")
    }
}
