import Foundation
import NIOCore

/// Why a server could not listen, in words with what to do (not NIO's call signature); shared by
/// `emulate --port` and `run --listen`.
public enum ListenFailure {
    /// `option` is how the user picks another port; `anyPort` how they ask for any free one.
    public static func describe(_ error: Error, host: String = "127.0.0.1", option: String, anyPort: String) -> String {
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE?: return "the port is in use by another program; pick another with \(option), or \(anyPort) for any free one"
        case EACCES?: return "ports below 1024 need privileges; pick one above 1024, or \(anyPort) for any free one"
        case EADDRNOTAVAIL?: return "\(host) is not available on this machine"
        case let code?: return String(cString: strerror(code))
        case nil: return "\(error)"
        }
    }
}
