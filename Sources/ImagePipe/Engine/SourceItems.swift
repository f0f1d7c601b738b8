import ImagePipeCore
import ImagePipePlan

/// A source's items as a run reads them: each row numbered as the plan numbers it, with its item
/// when its key resolves. The plan read the file without errors before the run, so a row that
/// fails now (the file changed underneath) is left out, as the plan would report it; a reader that
/// cannot go past a failure ends the source.
struct SourceItems {
    let source: CompiledSource
    private let records: RecordStream
    private var row = 0

    init?(_ source: CompiledSource, files: PipelineFiles) {
        guard let records = try? RecordStream(source: source.spec, files: files) else { return nil }
        self.source = source
        self.records = records
    }

    /// The next row's number, and its item (nil when its key does not resolve); nil at the end.
    mutating func next() -> (row: Int, item: ItemContext?)? {
        while true {
            let next: (record: Record, location: SourceLocation)?
            do throws(DataFileError) {
                next = try records.next()
            } catch {
                if error.rest == .rowSkipped { continue }
                return nil
            }
            guard let (record, location) = next else { return nil }
            row += 1
            guard let key = try? ItemKey.resolve(source.key, record: record, row: row, source: source.name) else { return (row, nil) }
            return (row, ItemContext(record: record, key: key, location: location))
        }
    }
}
