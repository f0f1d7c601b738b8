import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct CSVReaderTests {
    func rows(_ bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) throws -> [[String]] {
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("d.csv").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let reader = try #require(CSVReader(path: path, delimiter: delimiter))
        var out: [[String]] = []
        while let row = try reader.next() { out.append(row.values) }
        return out
    }

    func rows(_ text: String) throws -> [[String]] { try rows(Array(text.utf8)) }

    func error(_ text: String) -> DataFileError? {
        do { _ = try rows(text); return nil } catch let e as DataFileError { return e } catch { return nil }
    }

    @Test func readsRFC4180() throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\"\r\n,,\r\n"
        #expect(try rows(text) == [["a", "b", "c"], ["x, y", "say \"hi\"", "line1\nline2"], ["", "", ""]])
    }

    @Test func skipsByteOrderMarkAndBlankLines() throws {
        #expect(try rows([0xEF, 0xBB, 0xBF] + Array("sku\n\nA1\n".utf8)) == [["sku"], ["A1"]])
    }

    @Test func noTrailingNewline() throws {
        #expect(try rows("a,b\n1,2") == [["a", "b"], ["1", "2"]])
    }

    @Test func reportsBadQuotingAtItsLine() {
        #expect(error("a\n\"open\n\nstill open") == DataFileError(line: 2, column: 1, "a quoted field is never closed",
                                                                     hint: "add the closing '\"'; a '\"' inside a field is written '\"\"'"))
        #expect(error("a,b\nx,\"q\"z\n")?.line == 2)
        #expect(error("a,b\nx,\"q\"z\n")?.message == "text after the closing quote of a field")
        #expect(error("a,b\nx,y\"z\n")?.message == "a '\"' inside an unquoted field")
    }

    @Test func reportsInvalidUTF8() throws {
        do {
            _ = try rows(Array("a\nok\n".utf8) + [0xFF, 0x0A])
            Issue.record("expected an error")
        } catch let e as DataFileError {
            #expect(e.line == 3)
            #expect(e.message == "field 1 is not valid UTF-8")
        }
    }
}

@Suite struct CSVReaderStressTests {
    @Test func manyBlankLinesDoNotRecurse() throws {
        let text = "sku\n" + String(repeating: "\n", count: 200_000) + "A1\n"
        #expect(try CSVReaderTests().rows(text) == [["sku"], ["A1"]])
    }

    @Test func recordsSpanningChunksAndLinesAreCounted() throws {
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("d.csv").path
        var text = "sku,note\n"
        for i in 0..<20_000 { text += "S\(i),\"line one\nline two, with comma\"\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try #require(CSVReader(path: path))
        var count = 0
        var last: CSVReader.Row?
        while let row = try reader.next() { count += 1; last = row }
        #expect(count == 20_001)
        #expect(last?.line == 1 + 2 * 20_000 - 1)
        #expect(last?.values == ["S19999", "line one\nline two, with comma"])
    }

    @Test func readsOtherDelimiters() throws {
        #expect(try CSVReaderTests().rows(Array("sku;name\nA1;\"Mug; blue\"\nA2;Tote, big\n".utf8), delimiter: UInt8(ascii: ";")) == [["sku", "name"], ["A1", "Mug; blue"], ["A2", "Tote, big"]])
        #expect(try CSVReaderTests().rows(Array("sku\tname\nA1\tMug\n".utf8), delimiter: 0x09) == [["sku", "name"], ["A1", "Mug"]])
    }

    /// A semicolon-separated export read as CSV: one error that names the separator and the fix,
    /// not one "unknown field" per template.
    @Test func aSemicolonFileGetsOneHintAndDelimiterReadsIt() throws {
        let yaml = """
        version: 1
        name: semi
        providers: { local: { kind: placeholder } }
        sources:
          products: { csv: semi.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "{{ name }} in {{ color }}", output: "{{ sku }}.png" }
        """
        let files = ["semi.csv": "sku;name;color\nA1;Mug;red\n"]
        let (outcome, _) = Fixtures.validate(yaml, files: files)
        #expect(Fixtures.lines(outcome) == ["semi.csv:1:1: error: the header 'sku;name;color' reads as one column: the file looks separated by ';', not ','; add 'delimiter: \";\"' to source 'products'"])
        let (fixed, _) = Fixtures.validate(yaml.replacingOccurrences(of: "key: \"{{ sku }}\" }", with: "key: \"{{ sku }}\", delimiter: \";\" }"), files: files)
        #expect(Fixtures.lines(fixed) == [])
        let report = PlanBuilder(pipeline: try #require(fixed.pipeline), diagnostics: fixed.diagnostics).build()
        #expect(report.stages.first?.samples.first?.lines.first?.value == "Mug in red")
    }
}
