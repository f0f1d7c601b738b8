import Foundation
import Testing
@testable import ImagePipe
import ImagePipeEmulator
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `run --junit FILE` and `GITHUB_STEP_SUMMARY`: what CI shows of a run.
@Suite struct CIReportTests {
    /// Counts what an XML parser reads, so the test checks the document, not our own string.
    final class JUnitReader: NSObject, XMLParserDelegate {
        var suites: [[String: String]] = []
        var cases: [(attributes: [String: String], result: String)] = []
        var root: [String: String] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            switch name {
            case "testsuites": root = attributes
            case "testsuite": suites.append(attributes)
            case "testcase": cases.append((attributes, "passed"))
            case "failure": cases[cases.count - 1].result = "failure:" + (attributes["type"] ?? "") + ":" + (attributes["message"] ?? "")
            case "skipped": cases[cases.count - 1].result = "skipped:" + (attributes["message"] ?? "")
            default: break
            }
        }
    }

    @Test func junitAndStepSummaryDescribeTheRun() async throws {
        let emulator = Emulator(configuration: EmulatorConfiguration(), threads: 1)
        try await emulator.start()
        defer { Task { await emulator.stop() } }
        let dir = Fixtures.temporaryDirectory()
        try """
        version: 1
        name: ci-report
        providers:
          p: { kind: openai, base_url: "\(emulator.baseURL)/v1", api_key: test-key-123456 }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate: { from: products, provider: p, model: gpt-image-1, prompt: "{{ name }}", size: 64x64, output: "hero/{{ sku }}.png" }
          thumb:
            edit: { from: hero, provider: p, model: gpt-image-1, prompt: "small {{ name }}", size: 64x64, variants: 2, output: "thumb/{{ sku }}-{{ variant }}.png" }
        """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try "sku,name\nA1,\"Mug <\"\"&'>\"\nA2,[[block]] Cup\nA3,Tote\n".write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let summary = dir.appendingPathComponent("summary.md")
        try "## earlier step\n".write(to: summary, atomically: true, encoding: .utf8)
        let run = try await CLIProcess.run(["run", "--junit", "junit.xml", "p.yaml"], in: dir, environment: [
            "GITHUB_STEP_SUMMARY": summary.path, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/catalog", "GITHUB_RUN_ID": "42"])
        #expect(run.status == 1, "\(run.stderr)")

        let reader = JUnitReader()
        let parser = try #require(XMLParser(contentsOf: dir.appendingPathComponent("junit.xml")))
        parser.delegate = reader
        #expect(parser.parse(), "well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        // hero: 3 cases (1 failure); thumb: 2 variants × 2 items + 1 skipped line for A2.
        #expect(reader.root["tests"] == String(reader.cases.count) && reader.root["failures"] == "1")
        #expect(reader.suites.compactMap { $0["skipped"].flatMap(Int.init) }.reduce(0, +) == 1)
        // And a published schema accepts it: Jenkins xUnit's junit-10.xsd, through xmllint
        // (scripts/install-test-tools installs it).
        let lint = ChildProcess()
        lint.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
        lint.arguments = ["--noout", "--schema", Fixtures.repository.appendingPathComponent("Tests/Fixtures/junit/junit-10.xsd").path,
                          dir.appendingPathComponent("junit.xml").path]
        let lintErrors = Pipe()
        lint.standardError = lintErrors
        try lint.run()
        let lintText = String(decoding: await lint.finish(reading: lintErrors)[0], as: UTF8.self)
        #expect(lint.terminationStatus == 0, "\(lintText)")
        #expect(reader.suites.map { $0["name"] } == ["hero", "thumb"] || reader.suites.map { $0["name"] } == ["thumb", "hero"])
        for suite in reader.suites {
            let mine = reader.cases.filter { $0.attributes["classname"] == suite["name"] }
            #expect(suite["tests"] == String(mine.count))
        }
        let failure = try #require(reader.cases.first { $0.result.hasPrefix("failure") })
        #expect(failure.attributes["classname"] == "hero" && failure.attributes["name"] == "A2")
        #expect(failure.result.hasPrefix("failure:content_policy:"))
        #expect(reader.cases.contains { $0.attributes["classname"] == "thumb" && $0.attributes["name"] == "A1 #2" && $0.result == "passed" })
        #expect(reader.cases.contains { $0.result == "skipped:upstream stage 'hero' failed (content_policy); 2 items skipped" })

        let markdown = try String(contentsOf: summary, encoding: .utf8)
        #expect(markdown.hasPrefix("## earlier step\n### imagepipe run: ci-report (failed)\n"), "appended: \(markdown)")
        #expect(markdown.contains("| stage | succeeded | cached | failed | skipped | not started | cost |\n|---|---:|---:|---:|---:|---:|---:|\n| hero | 2 | 0 | 1 content_policy | 0 | 0 | $0.08 |"))
        #expect(markdown.contains("**Failures** (1):\n\n- `hero` `A2`: content_policy:"))
        // Where the report is, and the run's artifacts when GitHub names the run.
        #expect(markdown.contains("`imagepipe report` writes `out/report/index.html`; this run's [artifacts](https://github.com/shop/catalog/actions/runs/42#artifacts)"), "\(markdown)")
        // Rendered as GitHub-flavoured Markdown (markdown-it-py with tables, from scripts/install-test-tools):
        // one table with a row per stage, the failure as a list item.
        let render = ChildProcess()
        render.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        render.arguments = ["python3", "-c", "import sys; from markdown_it import MarkdownIt; print(MarkdownIt('commonmark').enable('table').render(sys.stdin.read()))"]
        let input = Pipe(), output = Pipe()
        render.standardInput = input
        render.standardOutput = output
        try render.run()
        input.fileHandleForWriting.write(Data(markdown.utf8))
        try input.fileHandleForWriting.close()
        let html = String(decoding: await render.finish(reading: output)[0], as: UTF8.self)
        #expect(render.terminationStatus == 0)
        #expect(html.components(separatedBy: "<table>").count == 2 && html.components(separatedBy: "<tr>").count == 4, "\(html)")
        #expect(html.contains("<a href=\"https://github.com/shop/catalog/actions/runs/42#artifacts\">artifacts</a>"), "\(html)")
        #expect(html.contains("<td style=\"text-align:right\">1 content_policy</td>") && html.contains("<li><code>hero</code> <code>A2</code>: content_policy:"), "\(html)")

        // Again: everything cached passes.
        let again = try await CLIProcess.run(["run", "--junit", "junit.xml", "p.yaml"], in: dir)
        let second = JUnitReader()
        let reparse = try #require(XMLParser(contentsOf: dir.appendingPathComponent("junit.xml")))
        reparse.delegate = second
        #expect(reparse.parse())
        #expect(again.status == 1)
        #expect(second.cases.filter { $0.result == "passed" }.count == 6)
    }
}
