import Foundation
import ImagePipeCore
import ImagePipeLanguage

/// Before anything is paid for: can the run write where it must (the output folder, the ledger's
/// folder), and is there room for what the plan will write? Looks without writing: a folder not
/// made yet is judged by the nearest one that exists.
package enum StorageCheck {
    package struct Place {
        /// "the output folder", "the ledger's folder"
        package var role: String
        package var path: String
        package var display: String

        package init(role: String, path: String, display: String) {
            self.role = role
            self.path = path
            self.display = display
        }
    }

    /// Why the run could not write in `place`, or nil when it can.
    package static func unwritable(_ place: Place) -> LocalFault? {
        let folder = existingAncestor(of: place.path)
        guard access(folder, W_OK) != 0 else { return nil }
        return LocalFault(errno: errno, place: place.display)
            ?? LocalFault(kind: .denied, place: place.display, reason: String(cString: strerror(errno)))
    }

    /// Bytes free for an unprivileged writer on the disk that holds `path`.
    package static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(existingAncestor(of: path), &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    private static func existingAncestor(of path: String) -> String {
        var folder = path
        while !folder.isEmpty, folder != "/", !FileManager.default.fileExists(atPath: folder) {
            folder = (folder as NSString).deletingLastPathComponent
        }
        return folder.isEmpty ? "." : folder
    }

    /// "2.9 MB"
    package static func size(_ bytes: Int64) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
    }
}
