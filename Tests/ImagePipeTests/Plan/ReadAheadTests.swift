import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Reading ahead on another thread hands over exactly what the stream reads, in order, errors
/// in their places, and stops when its reader stops early.
@Suite struct ReadAheadTests {
    func stream(_ csv: String) throws -> RecordStream {
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: p
        sources: { products: { csv: data.csv, key: "{{ sku }}" } }
        """, files: ["data.csv": csv])
        let pipeline = try #require(outcome.pipeline)
        return try RecordStream(source: pipeline.sources[0].spec, files: pipeline.files)
    }

    func drain(_ next: () throws(DataFileError) -> ReadAhead.Row?) -> [String] {
        var seen: [String] = []
        while true {
            do {
                guard let row = try next() else { return seen }
                seen.append("\(row.location.line):\(row.record.text(at: ["sku"]) ?? "?")")
            } catch {
                seen.append("\(error.line):error")
                if error.rest == .fileEnds { return seen }
            }
        }
    }

    @Test func handsOverWhatTheStreamReadsInOrder() throws {
        var csv = "sku,name\n"
        for i in 1...50 { csv += i % 7 == 0 ? "S\(i),a,ragged\n" : "S\(i),name \(i)\n" }
        csv += "S51,\"never closed\n"
        let direct = try stream(csv)
        let expected = drain { () throws(DataFileError) in try direct.next() }
        let ahead = ReadAhead(try stream(csv), batchSize: 2, depth: 1)
        #expect(drain { () throws(DataFileError) in try ahead.next() } == expected)
        #expect(expected.count == 51 && expected.filter { $0.hasSuffix("error") }.count == 8)
    }

    @Test func aReaderThatStopsEarlyReleasesTheThread() throws {
        let csv = "sku,name\n" + (1...10_000).map { "S\($0),n\n" }.joined()
        let ahead = ReadAhead(try stream(csv), batchSize: 16, depth: 2)
        #expect(try ahead.next()?.record.text(at: ["sku"]) == "S1")
        ahead.stop()
    }
}
