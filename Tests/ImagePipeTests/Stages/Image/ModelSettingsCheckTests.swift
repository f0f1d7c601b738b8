import Testing
@testable import ImagePipe
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Provider settings the real API would refuse with a 400 on every item are caught by `validate`,
/// from what each provider kind declares its models accept.
@Suite struct ModelSettingsCheckTests {
    static let yaml = """
    version: 1
    name: t9
    providers:
      oa: { kind: openai, api_key: sk-test-0000 }
      gm: { kind: gemini, api_key: g-test-0000 }
      local: { kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test-0000 }
    sources:
      products: { items: [{ sku: A1 }], key: "{{ sku }}" }
    stages:
      a:
        generate: { from: products, provider: oa, model: gpt-image-1, prompt: "x", size: 1000x1000, quality: hd, output: "a/{{ sku }}.png" }
      b:
        generate: { from: products, provider: gm, model: gemini-2.5-flash-image, prompt: "x", aspect_ratio: "4:7", output: "b/{{ sku }}.png" }
      c:
        generate: { from: products, provider: oa, model: gpt-image-l, prompt: "x", output: "c/{{ sku }}.png" }
      d:
        generate: { from: products, provider: local, model: gpt-image-1, prompt: "x", size: 64x64, output: "d/{{ sku }}.png" }
      e:
        edit: { from: a, provider: oa, model: dall-e-3, prompt: "x", background: transparent, output: "e/{{ sku }}.png" }
      f:
        generate: { from: products, provider: gm, model: imagen-4.0-generate-001, prompt: "x", output: "f/{{ sku }}.png" }
      g:
        generate: { from: products, provider: gm, model: gemini-2.5-flash-image, prompt: "x", aspect_ratio: "16:9", resolution: 2K, output: "g/{{ sku }}.png" }
    """

    @Test func settingsTheModelDoesNotTakeAreCaught() {
        let (outcome, _) = Fixtures.validate(Self.yaml)
        #expect(Fixtures.lines(outcome) == [
            "pipeline.yaml:11:80: error: gpt-image-1 does not make 1000x1000 images; did you mean 1024x1024? sizes: 1024x1024, 1536x1024, 1024x1536",
            "pipeline.yaml:11:97: error: gpt-image-1 does not take quality 'hd'; qualities: auto, low, medium, high",
            "pipeline.yaml:13:91: error: gemini-2.5-flash-image does not take aspect_ratio \"4:7\"; did you mean \"4:3\"? ratios: 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9",
            "pipeline.yaml:15:54: warning: model 'gpt-image-l' is not one imagepipe knows provider 'oa' (openai) to serve, so its settings are not checked; did you mean 'gpt-image-1'? known: gpt-image-1, gpt-image-1-mini, gpt-image-1.5, gpt-image-2, dall-e-3, dall-e-2",
            "pipeline.yaml:17:83: warning: gpt-image-1 does not make 64x64 images (the API at http://127.0.0.1:9/v1 may accept it); did you mean 1024x1024? sizes: 1024x1024, 1536x1024, 1024x1536",
            "pipeline.yaml:19:43: error: model 'dall-e-3' does not edit images; use one that does: gpt-image-1, gpt-image-1-mini, gpt-image-1.5, gpt-image-2, dall-e-2",
            "pipeline.yaml:19:66: error: dall-e-3 does not take 'background'; remove it, or use a model that does: gpt-image-1, gpt-image-1-mini, gpt-image-1.5, gpt-image-2",
            "pipeline.yaml:21:54: error: model 'imagen-4.0-generate-001' cannot be used with kind: gemini: Imagen models answer the :predict endpoint, which kind: gemini does not call (it calls :generateContent); pick another model: gemini-2.5-flash-image, gemini-3.1-flash-image-preview, gemini-3-pro-image-preview",
            "pipeline.yaml:23:113: error: gemini-2.5-flash-image has no resolution tiers; remove 'resolution', or use a model that has them: gemini-3.1-flash-image-preview, gemini-3-pro-image-preview",
        ])
    }

    @Test func settingsTheModelTakesPass() {
        let yaml = """
        version: 1
        name: ok
        providers:
          oa: { kind: openai, api_key: sk-test-0000, prices: { my-finetune: 0.05 } }
          gm: { kind: gemini, api_key: g-test-0000 }
        sources:
          products: { items: [{ sku: A1 }], key: "{{ sku }}" }
        stages:
          a: { generate: { from: products, provider: oa, model: gpt-image-1, prompt: "x", size: 1536x1024, quality: high, background: transparent, output: "a/{{ sku }}.png" } }
          b: { generate: { from: products, provider: gm, model: nano-banana-pro, prompt: "x", aspect_ratio: "21:9", resolution: 4K, output: "b/{{ sku }}.png" } }
          c: { generate: { from: products, provider: oa, model: gpt-image-2, prompt: "x", size: 2048x1152, output: "c/{{ sku }}.png" } }
          d: { generate: { from: products, provider: oa, model: my-finetune, prompt: "x", output: "d/{{ sku }}.png" } }
          e: { edit: { from: a, provider: oa, model: dall-e-2, prompt: "x", size: 512x512, output: "e/{{ sku }}.png" } }
        """
        let (outcome, _) = Fixtures.validate(yaml)
        #expect(Fixtures.lines(outcome) == [])
    }
}
