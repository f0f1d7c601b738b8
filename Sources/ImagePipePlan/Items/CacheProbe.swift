import ImagePipeCore
import ImagePipeLanguage
import Crypto
import Foundation

/// Whether recorded work can stand for a unit: the one check `plan` and `run` share. A recorded
/// image stands when its file is where the ledger says with the recorded size (and checksum,
/// with `--verify`). A file recorded under another path (the output template changed, the work
/// did not) stands too: a run copies it into place, a dry run only says so.
package struct CacheProbe: Sendable {
    package var outputDirectory: String
    package var verify: Bool
    /// False for a dry run: nothing is written.
    package var mayCopy: Bool

    package init(outputDirectory: String, verify: Bool, mayCopy: Bool) {
        self.outputDirectory = outputDirectory
        self.verify = verify
        self.mayCopy = mayCopy
    }

    package enum ImageReuse {
        /// The file is in place.
        case inPlace
        /// The file was recorded under another path and is (or, in a dry run, would be) copied.
        case moved
    }

    package func image(_ entry: RecordedSuccess, at path: String) -> ImageReuse? {
        guard let recorded = entry.path, let size = entry.bytes else { return nil }
        let file = outputDirectory + "/" + recorded
        guard Self.fileSize(file) == size else { return nil }
        guard verify || recorded != path else { return .inPlace }
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        if verify, Hex.string(SHA256.hash(data: data)) != entry.sha256 { return nil }
        guard recorded != path else { return .inPlace }
        if mayCopy {
            do { try AtomicFile.write(Array(data), to: outputDirectory + "/" + path) } catch { return nil }
        }
        return .moved
    }

    package static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }
}
