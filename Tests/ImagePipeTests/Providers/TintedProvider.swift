@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// A provider kind that exists only in the tests, in one file: offline images of one colour,
/// its own `tint` setting, its own price. Registering it and running a pipeline through it is
/// the proof that adding a provider touches nothing outside its own folder.
struct Tinted: ProviderKind {
    let name = "tinted"
    let summary = "Test-only: flat images tinted by a setting of its own."
    let fields = [FieldSpec("tint", .string(), required: true, doc: "A word mixed into every image.")]

    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        model == "tinted-v1" ? PriceTable.Price(usd: 0.02, source: "test table") : nil
    }

    /// The tint decides the images: a new tint must not reuse old ones.
    func identity(of spec: ProviderSpec) -> String { spec.settings.string("tint")?.value ?? "" }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        Provider(tint: spec.settings.string("tint")?.value ?? "")
    }

    struct Provider: ImageProvider {
        let tint: String

        func generate(_ request: ImageRequest) async throws(CallFailure) -> ProviderImage {
            let size = request.effectiveSize
            return ProviderImage(bytes: PlaceholderImage.png(prompt: tint + "\u{0}" + request.prompt, width: size.width, height: size.height))
        }
    }
}
