import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct OutputPathTests {
    func problem(_ path: String) -> String? {
        do {
            _ = try OutputPath.resolve(path, stage: "hero", key: "K1")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func acceptsAndNormalizesPathsInsideOutputDir() throws {
        #expect(try OutputPath.resolve("hero/./가죽-지갑.png", stage: "hero", key: "K1") == "hero/가죽-지갑.png")
        #expect(try OutputPath.resolve("a/../b.png", stage: "hero", key: "K1") == "b.png")
    }

    @Test func refusesEmptyNamesAndEscapes() {
        #expect(problem("hero/.png") == "stage 'hero' output path 'hero/.png' for item 'K1' has an empty file name")
        #expect(problem("hero/") == "stage 'hero' output path 'hero/' for item 'K1' has an empty folder name")
        #expect(problem("life//K001.png") == "stage 'hero' output path 'life//K001.png' for item 'K1' has an empty folder name")
        #expect(problem("../x.png") == "stage 'hero' output path '../x.png' for item 'K1' leaves output_dir")
        #expect(problem("/etc/x.png") == "stage 'hero' output path '/etc/x.png' for item 'K1' leaves output_dir")
    }
}
