import Foundation
import Testing
@testable import ImagePipe

/// Scratch folders of runs that died are removed by the next run; a live run's never are.
@Suite struct ScratchFolderTests {
    @Test func aDeadRunsFolderGoesALiveOnesStays() throws {
        let parent = Fixtures.temporaryDirectory().path
        // A folder whose run died: its lock file, held by no one.
        let dead = parent + "/" + ScratchFolder.prefix + "dead"
        try FileManager.default.createDirectory(atPath: dead, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dead + "/.lock", contents: nil)
        _ = FileManager.default.createFile(atPath: dead + "/input-x.jsonl", contents: Data(count: 1024))
        // A folder of another kind under the same prefix: no lock file, left alone.
        let foreign = parent + "/" + ScratchFolder.prefix + "foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        let live = ScratchFolder(in: parent)
        // A run has them removed in the background; here, at once.
        ScratchFolder.removeAbandoned(in: parent)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: foreign))
        #expect(FileManager.default.fileExists(atPath: live.path) && live.path.hasPrefix(parent + "/" + ScratchFolder.prefix))
        // A second run's folder leaves the first, live one in place.
        let second = ScratchFolder(in: parent)
        ScratchFolder.removeAbandoned(in: parent)
        #expect(FileManager.default.fileExists(atPath: live.path) && FileManager.default.fileExists(atPath: second.path))
        live.remove()
        second.remove()
        let left = try FileManager.default.contentsOfDirectory(atPath: parent)
        #expect(left == [ScratchFolder.prefix + "foreign"], "\(left)")
    }
}
