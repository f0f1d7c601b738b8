import ImagePipeCore
import ImagePipeLanguage

/// How imagepipe waits on a queued provider's jobs (`kind: fal`, `kind: replicate`): declared once
/// here for every queued kind, read by the engine.
public struct QueueSettings: Sendable {
    /// Jobs submitted and not yet finished, at most.
    public var maxQueued: Int
    /// Seconds between two status requests for one job.
    public var pollInterval: Double
    /// The pace of status requests across all the provider's jobs.
    public var pollRateLimit: RateLimit
    /// Seconds a submit asks the provider to hold its answer for a job that finishes quickly.
    public var syncWait: Double
    /// Seconds between two status requests for one job while webhooks are received (`run --listen`).
    public var fallbackPollInterval: Double
    /// Seconds a job may take from submit to result before it is cancelled and counted as timed out.
    public var jobTimeout: Double

    public static let defaultMaxQueued = 1000
    public static let defaultPollRate = RateLimit(requestsPerSecond: 10, burst: 10)

    public static let fields: [FieldSpec] = [
        FieldSpec("max_queued", .integer(min: 1, max: 1_000_000), default: .int(defaultMaxQueued),
                  doc: "The most jobs submitted and not yet finished at once. Waiting jobs hold no `concurrency` slot: `concurrency` limits submits in flight, this caps what waits remotely."),
        FieldSpec("poll_interval", .duration, default: .string("2s"), doc: "Time between two status requests for one job."),
        FieldSpec("fallback_poll_interval", .duration, default: .string("30s"),
                  doc: "With `run --listen`, deliveries end the wait and status requests are only a fallback for a lost webhook: one per job this often."),
        FieldSpec("poll_rate_limit", .object(RateLimit.declaration),
                  doc: "The most status requests per minute or second across all of this provider's jobs (default 10 per second, bursts of 10), so that 1,000 waiting jobs do not hammer the API. Submits keep `rate_limit`."),
        FieldSpec("sync_wait", .durationOrZero, default: .string("1s"),
                  doc: "How long a submit asks the provider to hold its answer for a job that finishes at once (Replicate's `Prefer: wait`, in whole seconds), so that a submit never holds a slot for long; `0s` never asks."),
        FieldSpec("job_timeout", .duration, default: .string("1h"),
                  doc: "The longest a job may take from submit to result; then it is cancelled at the provider and retried as a timeout under the stage's retry policy. `timeout` bounds each request."),
    ]

    public init(_ spec: ProviderSpec) {
        let settings = spec.settings
        maxQueued = settings.int("max_queued") ?? Self.defaultMaxQueued
        pollInterval = settings.duration("poll_interval") ?? 2
        fallbackPollInterval = settings.duration("fallback_poll_interval") ?? 30
        pollRateLimit = RateLimit(settings.object("poll_rate_limit")) ?? Self.defaultPollRate
        syncWait = settings.duration("sync_wait") ?? 1
        jobTimeout = settings.duration("job_timeout") ?? 3600
    }
}
