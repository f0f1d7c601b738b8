/// Why a (stage, item) failed. Recorded in the manifest and the summary; decides whether the
/// call is tried again.
public enum FailureClass: String, Sendable, CaseIterable, Comparable {
    case rate_limited, server_error, timeout, network, auth, content_policy, bad_request, invalid_output
    /// The image was made but failed one of its stage's `checks` (blank, a near-duplicate, too small…).
    case check_failed
    /// Not the provider's doing: the output could not be written, an input could not be read.
    case local_error
    /// The provider made (and billed) the image, but it could not be written: a full disk, a
    /// read-only folder. A later run makes it again.
    case paid_not_written
    /// The run stopped (interrupt, budget) before this item finished.
    case cancelled

    /// The class of an HTTP status that is not a success.
    public static func of(status: Int) -> FailureClass {
        switch status {
        case 429: return .rate_limited
        case 408: return .timeout
        case 401, 403: return .auth
        case 500...599: return .server_error
        default: return .bad_request
        }
    }

    public static func < (a: FailureClass, b: FailureClass) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
