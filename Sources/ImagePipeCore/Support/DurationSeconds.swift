extension Duration {
    /// The duration in seconds, as a `Double` (for figures, rates and timings).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
