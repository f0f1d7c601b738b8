import Foundation
import ImagePipeCore

/// One item's results on their way to joins (`from: [hero, lifestyle]`): every unit a stage
/// finishes for the item, and the stages that failed it. A join runs once the item's other
/// stages are done, on what is here. Shared by the item's tasks; the lock guards it.
package final class JoinCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var outputs: [String: [StageOutput]] = [:]
    private var failures: [String: String] = [:]

    package init() {}

    package func record(_ output: StageOutput) {
        lock.withLock { outputs[output.stage, default: []].append(output) }
    }

    /// `stage` failed, was skipped or cancelled for this item.
    package func fail(_ stage: String, because reason: String) {
        lock.withLock { if failures[stage] == nil { failures[stage] = reason } }
    }

    package enum Readiness {
        /// Run the join on this context.
        case ready(ItemContext)
        /// An input failed: the join is skipped for the item, saying why.
        case skipped(String)
        /// Its first input has nothing for the item (a `when:` or the selection left it out).
        case notItsItem
    }

    /// The context a join runs on: the item, and each stage above it with all its units.
    package func readiness(of join: CompiledStage, item: ItemContext) -> Readiness {
        lock.withLock {
            if let failed = join.ancestors.first(where: { failures[$0] != nil }) {
                return .skipped("upstream stage '\(failed)' \(failures[failed]!)")
            }
            guard outputs[join.inputName]?.isEmpty == false else { return .notItsItem }
            var context = ItemContext(record: item.record, key: item.key, location: item.location)
            context.joins = item.joins
            for stage in join.ancestors.reversed() {
                let units = outputs[stage] ?? []
                guard var merged = units.first else {
                    // A joined stage with nothing for the item: an empty list.
                    if join.inputs.contains(stage) { context.outputs.append(StageOutput(stage: stage, values: [], constants: [:], units: [])) }
                    continue
                }
                if units.count > 1 { merged.units = units.map(\.values) }
                context.outputs.append(merged)
            }
            return .ready(context)
        }
    }
}
