extension Fingerprint {
    /// An image's fingerprint: the stage kind, the provider kind and what about it decides
    /// images, the model, the rendered prompts, every image setting, the variant, the matrix
    /// values and, for an edit, the input's SHA-256.
    static func image(kind: String, provider: ProviderSpec?, model: String?, spec: ImageStageSpec, prompt: String, negativePrompt: String?,
                      variant: Int, matrix: [(field: String, value: String)], inputSHA256: String?) -> String {
        var fields: [String] = [version, kind]
        if let provider {
            fields.append(provider.kindName)
            fields.append(provider.component.identity(of: provider))
        }
        fields += [
            model ?? "", prompt, negativePrompt ?? "\u{0}",
            spec.size?.description ?? "", spec.aspectRatio?.description ?? "", spec.resolution ?? "",
            spec.seed.map(String.init) ?? "", spec.quality ?? "", spec.background ?? "", spec.outputFormat ?? "",
            String(variant), matrix.map { "\($0.field)=\($0.value)" }.joined(separator: "\u{1F}"), inputSHA256 ?? "",
        ]
        return hash(fields)
    }
}
