import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct AtomicFileTests {
    @Test func createsFoldersReplacesAndLeavesNothingBehind() throws {
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("a/b/image.png").path
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        // A second write replaces the first whole (the re-run case).
        try AtomicFile.write([4, 5], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("a/b").path) == ["image.png"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o644)
    }

    @Test func aFolderThatCannotBeMadeIsAClearError() throws {
        let dir = Fixtures.temporaryDirectory()
        try Data().write(to: dir.appendingPathComponent("file"))
        #expect(throws: AtomicFile.Failure.self) { try AtomicFile.write([1], to: dir.appendingPathComponent("file/x.png").path) }
    }
}
