import Foundation

/// A fault of the machine a run writes to rather than of one item: a full disk, a used-up quota,
/// a read-only or unwritable folder, an I/O error. Every later write would fail the same way, so
/// the first one stops new work (paid calls whose images cannot be kept are money thrown away).
public struct LocalFault: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case full, quota, readOnly, denied, io
    }

    public var kind: Kind
    /// What could not be written, as the user would name it (`out/`, `.imagepipe/p.sqlite`).
    public var place: String
    /// The operating system's words (`No space left on device`).
    public var reason: String

    /// Nil for errors that belong to one file or item (a name too long, a missing input).
    public init?(errno code: Int32, place: String) {
        switch code {
        case ENOSPC: kind = .full
        case EDQUOT: kind = .quota
        case EROFS: kind = .readOnly
        case EACCES, EPERM: kind = .denied
        case EIO: kind = .io
        default: return nil
        }
        self.place = place
        reason = String(cString: strerror(code))
    }

    /// The POSIX error a Foundation file error carries (itself, or as its underlying error).
    public static func posixCode(of error: any Error) -> Int32? {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain { return Int32(underlying.code) }
        return nil
    }

    public init(kind: Kind, place: String, reason: String) {
        self.kind = kind
        self.place = place
        self.reason = reason
    }

    /// "the disk holding out/ is full"
    public var description: String {
        switch kind {
        case .full: return "the disk holding \(place) is full"
        case .quota: return "the disk quota for \(place) is used up"
        case .readOnly: return "\(place) is on a read-only file system"
        case .denied: return "\(place) cannot be written (\(reason))"
        case .io: return "the disk holding \(place) reports I/O errors (\(reason))"
        }
    }

    /// What the user does before running again.
    public var remedy: String {
        switch kind {
        case .full: return "free space and run again"
        case .quota: return "free space or raise the quota, and run again"
        case .readOnly, .denied: return "make \(place) writable and run again"
        case .io: return "check the disk and run again"
        }
    }
}
