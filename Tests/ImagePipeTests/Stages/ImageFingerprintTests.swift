import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Hashing a stage's constant fields once must give exactly the fingerprint of the whole field
/// list, or every ledger recorded before would stop matching and work would be paid again.
@Suite struct ImageFingerprintTests {
    @Test func precomputedPartsHashLikeTheWholeList() throws {
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: p
        providers: { fast: { kind: gemini, api_key: k-123456, base_url: "https://proxy.example/g" } }
        sources: { products: { items: [{ sku: A1 }], key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: fast, model: nano-banana-2, prompt: "{{ sku }}", aspect_ratio: "16:9", resolution: 2K, seed: 7,
                        output: "{{ sku }}.png" }
        """)
        let stage = try #require(outcome.pipeline?.stages.first)
        let body = try #require(stage.body as? ImageStageBody)
        let matrix = [(field: "color", value: "red"), (field: "angle", value: "top")]
        let whole = Fingerprint.hash([
            Fingerprint.version, "generate", "gemini", "https://proxy.example/g", "nano-banana-2", "a prompt — ü", "\u{0}",
            "", "16:9", "2K", "7", "", "", "", "3", "color=red\u{1F}angle=top", "abc",
        ])
        #expect(body.shared?.fingerprint.hash(prompt: "a prompt — ü", negativePrompt: nil, variant: 3, matrix: matrix, inputSHA256: "abc") == whole)
        #expect(ImageFingerprint(kind: "generate", provider: stage.provider, model: "nano-banana-2", spec: body.spec)
            .hash(prompt: "a prompt — ü", negativePrompt: nil, variant: 3, matrix: matrix, inputSHA256: "abc") == whole)
    }
}
