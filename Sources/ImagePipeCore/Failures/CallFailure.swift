/// One failed attempt: its class, a message for people, and what the server asked for.
public struct CallFailure: Error, Sendable, CustomStringConvertible {
    public var failureClass: FailureClass
    public var message: String
    /// Seconds the server asked us to wait (`Retry-After`, `retry-after-ms`, Gemini's `RetryInfo`).
    public var retryAfter: Double?
    public var status: Int?
    /// Set when the failure is the machine's (a full disk), not the item's: it stops new work.
    public var localFault: LocalFault?
    /// Set when the server could not be reached at all (connection refused, no such host): the
    /// provider's gate stops sending after a few in a row, as for refused credentials.
    public var unreachable = false
    /// A remote batch's window ran out before this request ran: not the request's fault, so it is
    /// sent again once, in a new batch, whatever the retry policy says.
    public var expired = false

    public init(_ failureClass: FailureClass, _ message: String, retryAfter: Double? = nil, status: Int? = nil) {
        self.failureClass = failureClass
        self.message = message
        self.retryAfter = retryAfter
        self.status = status
    }

    public var description: String { "\(failureClass.rawValue): \(message)" }
}
