import ImagePipeCore
import ImagePipePlan

/// A worker's reader of the rows it claimed from the shared queue: each source is read forward
/// to the row asked for, and opened again for a row behind it (one another worker let go). The
/// last rows read are kept: a later stage's claim for an item comes soon after its first, and is
/// served from them instead of reading the file again from the top.
struct SourceRows {
    private let pipeline: CompiledPipeline
    private var readers: [String: SourceItems] = [:]
    private var positions: [String: Int] = [:]
    private var recent: [String: [Int: ItemContext]] = [:]
    private var recentOrder: [String: [Int]] = [:]
    static let kept = 4096

    init(_ pipeline: CompiledPipeline) { self.pipeline = pipeline }

    /// The item at `row` of `source`, when its key is still `key`; nil when the file changed
    /// since the row was queued.
    mutating func item(source name: String, row: Int, key: String) -> ItemContext? {
        if let kept = recent[name]?[row] { return kept.key == key ? kept : nil }
        if let position = positions[name], position >= row { readers[name] = nil }
        if readers[name] == nil {
            guard let source = pipeline.sources.first(where: { $0.name == name }), let opened = SourceItems(source, files: pipeline.files) else { return nil }
            readers[name] = opened
            positions[name] = 0
        }
        while var reader = readers[name] {
            guard let (count, item) = reader.next() else {
                readers[name] = nil
                return nil
            }
            readers[name] = reader
            positions[name] = count
            if let item { keep(item, row: count, source: name) }
            if count < row { continue }
            guard count == row, let item, item.key == key else { return nil }
            return item
        }
        return nil
    }

    private mutating func keep(_ item: ItemContext, row: Int, source: String) {
        if recent[source, default: [:]].updateValue(item, forKey: row) != nil { return }
        recentOrder[source, default: []].append(row)
        if recentOrder[source]!.count > Self.kept * 2 {
            // Dropped in halves: the order list is not shifted on every row.
            let dropped = recentOrder[source]!.prefix(Self.kept)
            for old in dropped { recent[source]?[old] = nil }
            recentOrder[source]!.removeFirst(Self.kept)
        }
    }
}
