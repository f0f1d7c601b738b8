import Crypto

/// An image's fingerprint: the stage kind, the provider kind and what about it decides images,
/// the model, the rendered prompts, every image setting, the variant, the matrix values and, for
/// an edit, the input's SHA-256. What is the same for all of a stage's units is hashed once: the
/// hasher after the leading constant fields is copied per unit, and the settings between the
/// prompts and the variant are added as one encoded run of bytes. The bytes hashed are exactly
/// `Fingerprint.hash` of the whole field list, so recorded fingerprints stay valid.
struct ImageFingerprint: Sendable {
    private let head: SHA256
    private let settings: SHA256Fields

    init(kind: String, provider: ProviderSpec?, model: String?, spec: ImageStageSpec) {
        var hasher = SHA256()
        var fields: [String] = [Fingerprint.version, kind]
        if let provider {
            fields.append(provider.kindName)
            fields.append(provider.component.identity(of: provider))
        }
        fields.append(model ?? "")
        for field in fields { Fingerprint.add(field, to: &hasher) }
        head = hasher
        settings = SHA256Fields([
            spec.size?.description ?? "", spec.aspectRatio?.description ?? "", spec.resolution ?? "",
            spec.seed.map(String.init) ?? "", spec.quality ?? "", spec.background ?? "", spec.outputFormat ?? "",
        ])
    }

    func hash(prompt: String, negativePrompt: String?, variant: Int, matrix: [(field: String, value: String)], inputSHA256: String?, params: JSONValue? = nil) -> String {
        var hasher = head
        Fingerprint.add(prompt, to: &hasher)
        Fingerprint.add(negativePrompt ?? "\u{0}", to: &hasher)
        settings.bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        Fingerprint.add(String(variant), to: &hasher)
        Fingerprint.add(matrix.isEmpty ? "" : matrix.map { "\($0.field)=\($0.value)" }.joined(separator: "\u{1F}"), to: &hasher)
        Fingerprint.add(inputSHA256 ?? "", to: &hasher)
        // Only when set, so that fingerprints recorded before `params:` existed stay valid.
        if let params { Fingerprint.add("params=" + params.serialized(pretty: false), to: &hasher) }
        return Hex.string(hasher.finalize())
    }
}

/// Fields encoded as `Fingerprint.hash` encodes them, kept as bytes to add in one go.
struct SHA256Fields: Sendable {
    let bytes: [UInt8]

    init(_ fields: [String]) {
        var bytes: [UInt8] = []
        for field in fields {
            bytes += Array(String(field.utf8.count).utf8) + [0x3A] + Array(field.utf8)
        }
        self.bytes = bytes
    }
}
