/// How `imagepipe run` behaves beyond what the pipeline says.
public struct RunOptions: Sendable {
    /// After an interrupt, how long calls in flight may finish before they are cancelled.
    public var gracePeriod: Double = 10
    /// Items admitted into the DAG at once; nil picks twice the largest concurrency.
    public var itemsInFlight: Int?
    /// Where the manifest goes; nil is `OUTPUT_DIR/manifest.jsonl`.
    public var manifestPath: String?

    public init() {}
}
