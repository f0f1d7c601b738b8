/// A plain-text table: columns two spaces apart, each as wide as its widest cell, numbers
/// aligned right where asked, trailing spaces trimmed.
public struct TextTable {
    public var rows: [[String]]
    /// Columns whose cells are aligned to the right.
    public var rightAligned: Set<Int> = []
    /// A line of dashes under the first row.
    public var underlineHeader = false

    public init(rows: [[String]], rightAligned: Set<Int> = [], underlineHeader: Bool = false) {
        self.rows = rows
        self.rightAligned = rightAligned
        self.underlineHeader = underlineHeader
    }

    public var text: String {
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for (n, row) in rows.enumerated() {
            let cells = row.enumerated().map { i, cell in
                rightAligned.contains(i) ? String(repeating: " ", count: widths[i] - cell.count) + cell
                    : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
            if n == 0, underlineHeader { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }
}
