import Foundation
import ImagePipeCore

/// One item's results on their way to joins (`from: [hero, lifestyle]`): every unit a stage
/// finishes for the item, and the stages that failed it. A join runs once the item's other
/// stages are done, on what is here. Shared by the item's tasks; the lock guards it.
package final class JoinCollector: @unchecked Sendable {
    private let lock = NSLock()
    /// Each stage's units for the item, with their place (variant, then matrix values), since units
    /// finish in any order and a join's list must not change from run to run.
    private var outputs: [String: [(order: UnitOrder, output: StageOutput)]] = [:]

    package struct UnitOrder: Comparable {
        var variant: Int
        var matrix: [String]
        package static func < (a: UnitOrder, b: UnitOrder) -> Bool {
            a.variant != b.variant ? a.variant < b.variant : a.matrix.lexicographicallyPrecedes(b.matrix)
        }
    }
    private var failures: [String: String] = [:]

    package init() {}

    /// One unit's output; `unit` says which (its variant and matrix values).
    package func record(_ output: StageOutput, unit: ItemContext) {
        let order = UnitOrder(variant: unit.variant, matrix: unit.matrix.map(\.value) + (unit.outputName.map { [$0] } ?? []))
        var output = output
        // Which output the unit carries, so that `{{ web.og.url }}` finds it.
        if let name = unit.outputName { output.values.append((StageOutput.outputNameField, name)) }
        lock.withLock { outputs[output.stage, default: []].append((order, output)) }
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
            let first = join.firstInputChain
            if let failed = first.first(where: { failures[$0] != nil }) {
                return .skipped("upstream stage '\(failed)' \(failures[failed]!)")
            }
            // An item the first input never took (its `when:`, the selection) is not the join's either.
            guard outputs[join.inputName]?.isEmpty == false else { return .notItsItem }
            if let failed = join.ancestors.first(where: { failures[$0] != nil }) {
                return .skipped("upstream stage '\(failed)' \(failures[failed]!)")
            }
            var context = ItemContext(record: item.record, key: item.key, location: item.location)
            context.joins = item.joins
            for stage in join.ancestors.reversed() {
                let units = (outputs[stage] ?? []).sorted { $0.order < $1.order }.map(\.output)
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
