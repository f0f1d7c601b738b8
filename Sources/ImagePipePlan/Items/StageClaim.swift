import Foundation

/// With workers on a shared ledger, an item is claimed stage by stage: the claim names the stage
/// it runs ("" for the source's root stages) and the row the item comes from. The stages above
/// pass on what the ledger holds; the stages below are queued as claims of their own once this
/// one is done with the item, for any worker to take.
package struct StageClaim: Sendable {
    package var stage: String
    package var row: Int
    /// The claimed stages that made (or had made before) a unit of the item: their children are queued.
    package let made: Made

    /// Whether `stage` only passes on the ledger's result for this claim (a stage above the claimed one).
    package func passesOn(_ stage: String) -> Bool { !self.stage.isEmpty && self.stage != stage }

    package init(stage: String, row: Int) {
        self.stage = stage
        self.row = row
        made = Made()
    }

    package final class Made: @unchecked Sendable {
        private let lock = NSLock()
        private var stages = Set<String>()
        package init() {}
        package func contains(_ stage: String) -> Bool { lock.withLock { stages.contains(stage) } }
        package var isEmpty: Bool { lock.withLock { stages.isEmpty } }
        package func insert(_ stage: String) { _ = lock.withLock { stages.insert(stage) } }
    }
}
