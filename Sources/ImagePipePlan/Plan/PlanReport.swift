import ImagePipeCore
import ImagePipeLanguage
/// What `plan` found: everything a run would do, computed without calling anything.
public struct PlanReport: Sendable {
    public struct SourceSummary: Sendable {
        public var name: String
        public var kind: String
        public var path: String?
        public var items: Int
        public var keyed: Bool
    }

    public struct Sample: Sendable {
        public var key: String
        public var lines: [(label: String, value: String)]
    }

    public struct StageSummary: Sendable {
        public var name: String
        public var kind: String
        public var from: String
        public var depth: Int
        public var provider: String?
        public var model: String?
        public var items: Int
        public var unitPriceUSD: Double?
        public var priceSource: String?
        public var samples: [Sample]
        /// Selected items the ledger holds with the same fingerprint and an intact file: a run skips them.
        public var cached = 0
        /// Items outside the selection (`--limit`, `--key`, `--retry-failed`) that are done.
        public var doneEarlier = 0
        /// Items outside the selection that are not done.
        public var notSelected = 0

        /// Selected items the provider refused last time (`content_policy`), unchanged: a run does
        /// not send them again unless `--retry-failed` asks.
        public var blocked = 0

        /// The items the selection takes (all of them without one).
        public var selected: Int { items - doneEarlier - notSelected }
        public var toRun: Int { selected - cached - blocked }

        /// What the items still to run will cost; nil when the stage is paid but its price is unknown.
        public var costUSD: Double? {
            if !isPaid { return 0 }
            return unitPriceUSD.map { $0 * Double(toRun) }
        }

        /// Whether each item is paid for (its kind's word, not its name).
        public var isPaid = false
        /// `on_check_failure: regenerate`: how many more images one item may cost.
        public var regenerations = 0
        /// What one of its items is called: image, upload, request.
        public var unitName = "item"
        /// Its unit price called now and in a batch, when it may go either way.
        public var priceModes: PriceModes?
    }

    public var pipeline: String
    public var file: String
    public var outputDirectory: String
    public var sources: [SourceSummary]
    public var stages: [StageSummary]
    public var budgetUSD: Double?
    /// The ledger that was read for cached items, if there was one.
    public var ledger: String?
    /// The part of the items asked for.
    public var selection = ItemSelection.everything

    public var totalCostUSD: Double { stages.compactMap(\.costUSD).reduce(0, +) }
    /// False when some paid stage has no known price, so the total is a lower bound.
    public var costIsComplete: Bool { stages.allSatisfy { $0.costUSD != nil } }
    public var budgetHolds: Bool? { budgetUSD.map { totalCostUSD <= $0 } }

    /// The total with every stage that may go either way called now, and with each in a batch;
    /// nil when no stage has a batch price.
    public var totalsNowAndAsBatch: (now: Double, batch: Double)? {
        guard stages.contains(where: { $0.priceModes != nil }) else { return nil }
        var now = 0.0
        var batch = 0.0
        for stage in stages {
            guard let modes = stage.priceModes else {
                now += stage.costUSD ?? 0
                batch += stage.costUSD ?? 0
                continue
            }
            let units = Double(stage.toRun)
            now += modes.nowUSD * units
            batch += modes.batchUSD * units
        }
        return (now, batch)
    }
}
