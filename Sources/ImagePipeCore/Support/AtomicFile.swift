import Foundation

/// Writes a file so that it is either absent or whole. On Linux the bytes go to an unnamed file
/// in the target folder (`O_TMPFILE`) that is linked in under its name once complete: one change
/// to the folder instead of two, which matters when thousands of images land in one folder.
/// Where that is not possible (another file system, or the name exists and must be replaced),
/// the bytes go to a temporary file in the same folder that is renamed over the target. Both are
/// atomic on POSIX file systems.
public enum AtomicFile {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The `errno` of the failed call, to tell a full disk from a bad name.
        public var code: Int32?
        package init(description: String, code: Int32? = nil) {
            self.description = description
            self.code = code
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        #if os(Linux)
        switch try writeUnnamed(bytes, folder: folder, path: path) {
        case .done: return
        case .folderMissing:
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            if case .done = try writeUnnamed(bytes, folder: folder, path: path) { return }
        case .unsupported:
            break
        }
        #endif
        try writeAndRename(bytes, folder: folder, path: path)
    }

    #if os(Linux)
    private enum Unnamed { case done, folderMissing, unsupported }

    /// Linux's `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`), which Glibc's module does not export.
    private static let tmpFile: Int32 = 0o20_000_000 | O_DIRECTORY

    private static func writeUnnamed(_ bytes: [UInt8], folder: String, path: String) throws(Failure) -> Unnamed {
        let fd = open(folder, tmpFile | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return errno == ENOENT ? .folderMissing : .unsupported }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path: path)
        // Linking through /proc needs no privilege, unlike linkat's AT_EMPTY_PATH.
        if linkat(AT_FDCWD, "/proc/self/fd/\(fd)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return .done }
        // The name exists (a re-run) or /proc is missing: fall back to rename, which replaces.
        return .unsupported
    }
    #endif

    private static func writeAndRename(_ bytes: [UInt8], folder: String, path: String) throws(Failure) {
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(folder)/.\(name).tmp-\(UInt32.random(in: 0...UInt32.max))"
        var fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0, errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else {
            let code = errno
            throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(code)))", code: code)
        }
        do {
            try writeAll(bytes, to: fd, path: path)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let renameError = errno
            unlink(temporary)
            throw Failure(description: "cannot move the image into place at \(path): \(String(cString: strerror(renameError)))", code: renameError)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(Failure) {
        var written = 0
        let error: Int32? = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return nil
        }
        if let error { throw Failure(description: "cannot write \(path): \(String(cString: strerror(error)))", code: error) }
    }
}
