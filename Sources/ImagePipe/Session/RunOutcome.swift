/// How a run ended, and the exit code each ending gives: the one place they are mapped.
public enum RunOutcome: Sendable, Equatable {
    /// Every item succeeded (or was done before).
    case succeeded
    /// Some items failed, were skipped or cancelled.
    case failed
    /// Nothing new started once the next paid call would pass `budget.max_usd`.
    case budgetReached
    /// Ctrl-C or SIGTERM.
    case interrupted
    /// A full disk, a used-up quota, a read-only or unwritable folder stopped new work.
    case localFault
    /// The run never started: an invalid pipeline, usage, a missing secret or credential, or the
    /// ledger held by another run.
    case refused
    /// The run could not be set up after it was checked (the manifest cannot be written).
    case setupFailed
    /// Nothing failed, but items wait in remote batches (`--no-wait`, or `batch.wait` passed): a
    /// later run collects them.
    case pendingRemotely

    public var exitCode: Int32 {
        switch self {
        case .succeeded: return ExitStatus.ok
        case .failed, .budgetReached, .setupFailed: return ExitStatus.itemsFailed
        case .refused: return ExitStatus.invalid
        case .interrupted: return ExitStatus.interrupted
        case .pendingRemotely: return ExitStatus.pendingRemotely
        case .localFault: return ExitStatus.localFault
        }
    }

    /// The word notifications and the ledger use.
    public var status: String {
        switch self {
        case .succeeded: return "succeeded"
        case .failed, .setupFailed, .refused: return "failed"
        case .budgetReached: return "budget_reached"
        case .interrupted: return "interrupted"
        case .localFault: return "local_fault"
        case .pendingRemotely: return "pending_remotely"
        }
    }

    init(_ result: RunEngine.Result) {
        switch result.stopReason {
        case .interrupted?: self = .interrupted
        case .localFault?: self = .localFault
        case .budget?: self = .budgetReached
        case nil:
            if result.allSucceeded { self = .succeeded } else if result.onlyPendingRemotely { self = .pendingRemotely } else { self = .failed }
        }
    }
}

/// The exit codes users' scripts depend on.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let itemsFailed: Int32 = 1
    public static let invalid: Int32 = 2
    /// Work pending remotely: items wait in a provider's batch; run again to collect them.
    public static let pendingRemotely: Int32 = 3
    /// The disk or folder the run writes to failed it (full, read-only, I/O errors).
    public static let localFault: Int32 = 4
    public static let interrupted: Int32 = 130
}
