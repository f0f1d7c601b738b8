import Crypto

/// Writes an image's origin into it as XMP (IPTC's `trainedAlgorithmicMedia` and imagepipe's own
/// fields): one per stage and run, knowing the pipeline, the run and the provider; each image
/// adds its model, prompt, seed, stage and item.
struct ProvenanceStamp: Sendable {
    let setting: ProvenanceSetting
    let pipeline: String
    let run: String
    let provider: String?
    let providerKind: String?

    /// The packet for one image.
    func packet(stage: String, item: String, model: String?, prompt: String?, seed: Int?) -> XMPPacket {
        var fields: [(name: String, value: String)] = [
            ("tool", "imagepipe " + ImagePipeVersion.current),
            ("pipeline", pipeline), ("run", run), ("stage", stage), ("item", item),
            ("provider", provider ?? ""), ("providerKind", providerKind ?? ""), ("model", model ?? ""),
        ]
        if let prompt {
            switch setting.prompt {
            case .text: fields.append(("prompt", prompt))
            case .hash: fields.append(("promptSHA256", Hex.string(SHA256.hash(data: Array(prompt.utf8)))))
            }
        }
        if let seed { fields.append(("seed", String(seed))) }
        return XMPPacket(fields: fields)
    }

    /// The bytes with the packet in them, or as they were with the reason none was written: the
    /// provider's own signed Content Credentials are never broken, and a packet too large for
    /// its format is left out rather than cut.
    static func stamp(_ bytes: [UInt8], with xml: String) -> (bytes: [UInt8], warning: String?) {
        if XMPEmbedding.hasContentCredentials(bytes) {
            return (bytes, "the file carries the provider's C2PA Content Credentials, kept as they are: imagepipe's provenance XMP was not added (it would break their signature)")
        }
        do {
            return (try XMPEmbedding.embed(xml, in: bytes), nil)
        } catch {
            return (bytes, "no provenance written: \(error.description)")
        }
    }
}
