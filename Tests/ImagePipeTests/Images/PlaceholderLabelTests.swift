import Testing
@testable import ImagePipe
@testable import ImagePipeCore
import ImagePipeEmulator

/// Placeholder pictures say which item, stage and variant they are for, so that wiring can be
/// checked by eye; an image of another size than asked for is a warning on its manifest line.
@Suite struct PlaceholderLabelTests {
    @Test func labelsAreDrawnWithThePixelFont() {
        var rgb = [UInt8](repeating: 0, count: 20 * 20 * 3)
        PixelFont.draw(["A"], into: &rgb, width: 20, height: 20)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { rgb[(y * 20 + x) * 3] }
        // Scale 1: the glyph starts at (1, 2) on a dark band from row 1; 'A' is .XXX. on top.
        #expect(pixel(1, 2) == 24 && pixel(2, 2) == 255 && pixel(4, 2) == 255 && pixel(5, 2) == 24)
        #expect((0..<5).map { pixel(1 + $0, 5) } == [255, 255, 255, 255, 255], "the bar of the A")
        #expect(pixel(15, 15) == 0, "nothing drawn outside the band")
    }

    @Test func theSamePromptForTwoItemsLooksDifferent() throws {
        let a = PlaceholderImage.png(prompt: "Mug", width: 128, height: 128, label: ["A1", "hero #1", "Mug"])
        let b = PlaceholderImage.png(prompt: "Mug", width: 128, height: 128, label: ["A2", "hero #1", "Mug"])
        #expect(a != b)
        let info = try ImageInspector.inspect(a)
        #expect((info.width, info.height) == (128, 128))
    }

    @Test func aSizeOtherThanAskedIsAWarning() async throws {
        let yaml = """
        version: 1
        name: sizes
        providers:
          p: { kind: openai, base_url: "{{BASE}}/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }}", size: 1024x1024, output: "{{ sku }}.png" }
        """
        let run = try await RunHarness.run(yaml, files: ["products.csv": RunHarness.products(1)], emulator: EmulatorConfiguration())
        #expect(run.lines(stage: "hero").first?["warning"] as? String == "asked for 1024x1024, the provider sent 64x64")
        #expect(run.lines(stage: "hero").first?["status"] as? String == "succeeded")
    }
}
