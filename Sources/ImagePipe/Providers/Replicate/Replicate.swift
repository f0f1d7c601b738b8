/// `kind: replicate`: Replicate's predictions (`POST {base_url}/models/{owner}/{name}/predictions`).
struct Replicate: ProviderKind {
    let name = "replicate"
    let summary = "Replicate's predictions: a `model` of `owner/name` posts to `{base_url}/models/owner/name/predictions`, `owner/name:version` to `{base_url}/predictions`; imagepipe waits for each without a slot and downloads its output at once (Replicate deletes it after an hour)."
    var fields: [FieldSpec] {
        Self.httpFields + QueueSettings.fields + [
            FieldSpec("webhook_secret", .string(), secret: .secret,
                      doc: "The `whsec_…` secret Replicate signs webhooks with (`GET /v1/webhooks/default/secret`); default `${REPLICATE_WEBHOOK_SECRET}`. Needed with `run --listen`. Never printed."),
        ]
    }

    static let webhookSecretVariable = "REPLICATE_WEBHOOK_SECRET"
    let defaultBaseURL: String? = "https://api.replicate.com/v1"
    let apiKeyVariable: String? = "REPLICATE_API_TOKEN"
    var isQueued: Bool { true }

    static let pricesSource = "Replicate per-image prices as collected in shared/reference/provider-apis.md §4.5 (lumenfall.ai, 2026-02-26); "
        + "set 'prices' to your account's"

    func price(model: String, size: ImageSize?, resolution: String?) -> PriceTable.Price? {
        let name = model.split(separator: ":").first.map { $0.lowercased() } ?? ""
        guard name == "google/nano-banana-2" else { return nil }
        let usd = ["2K": 0.101, "4K": 0.151][resolution ?? ""] ?? 0.067
        return PriceTable.Price(usd: usd, source: Self.pricesSource)
    }

    func webhookVerifier(_ spec: ProviderSpec, transport: HTTPTransport, environment: [String: String]) throws(WebhookRefusal) -> (any WebhookVerifier)? {
        guard let secret = spec.settings.string("webhook_secret")?.value ?? environment[Self.webhookSecretVariable], !secret.isEmpty else {
            throw WebhookRefusal("provider '\(spec.name)' needs its webhook secret to check deliveries: set \(Self.webhookSecretVariable) (from GET /v1/webhooks/default/secret) or 'webhook_secret'")
        }
        return StandardWebhookVerifier(secret: secret)
    }

    func make(_ spec: ProviderSpec, transport: HTTPTransport, workingDirectory: String) -> any ImageProvider {
        ReplicateProvider(baseURL: Self.trimmed(spec.baseURL), apiKey: spec.apiKey, transport: transport, syncWait: QueueSettings(spec).syncWait)
    }
}
