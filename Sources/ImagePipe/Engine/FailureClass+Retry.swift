extension FailureClass {
    /// The `retry.on` condition that covers this class; nil when it is never retried.
    public var retryCondition: RetryPolicy.Condition? {
        switch self {
        case .rate_limited: return .rate_limit
        case .server_error: return .server_error
        case .timeout: return .timeout
        case .network: return .network
        case .auth, .content_policy, .check_failed, .bad_request, .invalid_output, .local_error, .paid_not_written, .cancelled: return nil
        }
    }
}
