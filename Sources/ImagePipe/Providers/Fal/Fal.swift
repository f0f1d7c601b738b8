/// `kind: fal`: fal.ai's queue (`POST {base_url}/{model}`, then status and result URLs).
struct Fal: ProviderKind {
    let name = "fal"
    let summary = "fal.ai's queue: `POST {base_url}/{model}` answers with a request id; imagepipe waits for it without a slot and downloads `images[0].url`."
    var fields: [FieldSpec] {
        Self.httpFields + QueueSettings.fields + [
            FieldSpec("jwks_url", .url, default: .string(FalWebhookVerifier.defaultJWKSURL),
                      doc: "Where fal's webhook signing keys are published (a JWKS of Ed25519 keys, fetched once a day). With `run --listen`, every delivery's signature is checked against each of them."),
        ]
    }
    let defaultBaseURL: String? = "https://queue.fal.run"
    let apiKeyVariable: String? = "FAL_KEY"
    var isQueued: Bool { true }

    static let pricesSource = "fal.ai model pages and llms.txt as collected in shared/reference/provider-apis.md §3.6 (read 2026-11-27): "
        + "Seedream v4 $0.03 and v5 lite $0.035 (fal llms.txt), v4.5 $0.04 (fal model page, 2026-08-30), Nano Banana 2 $0.08 at 1K "
        + "(lumenfall.ai, 2026-02-26); set 'prices' to your account's"

    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        let id = model.lowercased().hasPrefix("fal-ai/") ? String(model.lowercased().dropFirst("fal-ai/".count)) : model.lowercased()
        let usd: Double
        if id.hasPrefix("bytedance/seedream/v4.5/") {
            usd = 0.04
        } else if id.hasPrefix("bytedance/seedream/v4/") {
            usd = 0.03
        } else if id.hasPrefix("bytedance/seedream/v5/lite/") {
            usd = 0.035
        } else if id == "nano-banana-2" || id == "nano-banana-2/edit" {
            // 0.5K ×0.75, 2K ×1.5, 4K ×2 of the 1K price.
            let factor: Double = ["2K": 1.5, "4K": 2.0][resolution ?? ""] ?? 1
            usd = 0.08 * factor
        } else {
            return nil
        }
        return PriceTable.Price(usd: usd, source: Self.pricesSource)
    }

    func webhookVerifier(_ spec: ProviderSpec, transport: HTTPTransport, environment: [String: String]) throws(WebhookRefusal) -> (any WebhookVerifier)? {
        FalWebhookVerifier(jwksURL: spec.settings.string("jwks_url")?.value ?? FalWebhookVerifier.defaultJWKSURL, transport: transport)
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        FalProvider(baseURL: Self.trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport)
    }
}
