import ImagePipeCore
import ImagePipeLanguage
/// How one item becomes a stage's units: one per variant × matrix combination × output (a
/// `transform` with several `outputs:`), each named by the item's key, its variant past the
/// first, its matrix values and its output. `plan` and `run` expand
/// items with this one piece.
package struct UnitExpansion: Sendable {
    package let variants: Int
    /// Every combination of matrix values (one empty combination without a matrix).
    package let combinations: [[(field: String, value: String)]]
    /// The named outputs each unit is made once for; empty for one unnamed output.
    package let outputNames: [String]

    package init(variants: Int, matrix: [(field: String, values: [String])], outputNames: [String] = []) {
        self.variants = variants
        self.outputNames = outputNames
        combinations = matrix.reduce([[]]) { combos, axis in
            combos.flatMap { combo in axis.values.map { combo + [(axis.field, $0)] } }
        }
    }

    /// Units made from each incoming item.
    package var fanOut: Int { variants * combinations.count * max(1, outputNames.count) }
    /// True when each item is its own single unit, unchanged.
    package var isIdentity: Bool { variants == 1 && combinations.count == 1 && combinations[0].isEmpty && outputNames.isEmpty }

    package func units(of item: ItemContext) -> [ItemContext] {
        if isIdentity { return [item] }
        var units: [ItemContext] = []
        units.reserveCapacity(fanOut)
        for variant in 1...variants {
            for combination in combinations {
                var unit = item
                // A stage without variants of its own keeps its input's (an edit of variant 2 is #2).
                if variants > 1 { unit.variant = variant }
                if !combination.isEmpty { unit.matrix += combination }
                if outputNames.isEmpty {
                    units.append(unit)
                } else {
                    for name in outputNames {
                        var named = unit
                        named.outputName = name
                        units.append(named)
                    }
                }
            }
        }
        return units
    }
}
