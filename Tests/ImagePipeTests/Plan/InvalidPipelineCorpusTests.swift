import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// Every file in Tests/Fixtures/invalid is a broken pipeline; its `.expected` file holds the exact
/// diagnostics (file, line, column, message) that `validate` must print for it.
@Suite struct InvalidPipelineCorpusTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.invalid.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted()
    }()

    @Test func corpusIsLargeEnough() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func reportsExactDiagnostics(_ name: String) throws {
        let path = Fixtures.invalid.appendingPathComponent(name).path
        let expected = try String(contentsOfFile: path.replacingOccurrences(of: ".yaml", with: ".expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let outcome = PipelineValidator(environment: Fixtures.environment).validate(path: path, displayPath: name)
        let actual = outcome.diagnostics.sorted().map(\.formatted)
        #expect(!outcome.isValid, "\(name) should be invalid")
        #expect(actual == expected)
    }
}
