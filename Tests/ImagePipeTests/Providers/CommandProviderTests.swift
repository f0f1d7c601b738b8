import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

/// The `command` provider driving a real program: argv without a shell, exit status, stderr,
/// a JSON answer's `local_path`, and the per-call timeout.
@Suite struct CommandProviderTests {
    static let script = """
    #!/bin/sh
    prompt="$1"; out="$2"
    printf '%s\\n' "$prompt" >> prompts.log
    case "$prompt" in
      *fail*) echo "model exploded: out of credits" >&2; exit 3;;
      *slow*) sleep 60;;
      *json*) cp sample.png alt.png; echo '{"status":"success","local_path":"alt.png"}'; exit 0;;
      *nothing*) exit 0;;
      *busy*) if [ ! -f busy.seen ]; then touch busy.seen; echo "GPU busy" >&2; exit 75; fi;;
      *quota*) echo '{"status":"error","error":{"code":"rate_limit_exceeded","message":"quota exhausted, retry later"}}'; exit 1;;
      *unsafe*) echo '{"status":"error","message":"prompt blocked by the safety filter"}'; exit 2;;
      *denied*) exit 77;;
    esac
    cp sample.png "$out"
    """

    static func run(_ names: [String], output: String = "{{ sku }}.png", settings: String = "", attempts: Int = 1) async throws -> RunHarness.Outcome {
        let csv = "sku,name\n" + names.enumerated().map { "S\($0.offset + 1),\"\($0.element.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: "\n") + "\n"
        let yaml = """
        version: 1
        name: command-test
        providers:
          tool: { kind: command, command: ["./gen.sh", "{{ prompt }}", "{{ output }}"]\(settings) }
        sources:
          products: { csv: products.csv, key: "{{ sku }}" }
        stages:
          hero:
            generate:
              from: products
              provider: tool
              model: any
              prompt: "{{ name }}"
              output: "\(output)"
              # Long enough for sh and cp on a loaded 2-core machine; the slow case sleeps far longer.
              timeout: 3s
              retry: { attempts: \(attempts), initial: 10ms }
        """
        let dir = Fixtures.temporaryDirectory()
        try Data(PlaceholderImage.png(prompt: "sample", width: 40, height: 30)).write(to: dir.appendingPathComponent("sample.png"))
        return try await RunHarness.run(yaml, files: ["products.csv": csv, "gen.sh": script], setUp: { folder in
            try FileManager.default.copyItem(at: dir.appendingPathComponent("sample.png"), to: folder.appendingPathComponent("sample.png"))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent("gen.sh").path)
        })
    }

    @Test func runsTheProgramAndClassifiesWhatHappened() async throws {
        let injection = "$(touch pwned); echo `id` > pwned2"
        let run = try await Self.run(["a red mug", "this will fail", "slow one", "json answer", "nothing written", injection])
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(lines["S1"]?["status"] as? String == "succeeded")
        #expect(lines["S1"]?["width"] as? Int == 40)
        #expect(lines["S2"]?["failure_class"] as? String == "bad_request")
        #expect((lines["S2"]?["message"] as? String)?.contains("exited with status 3: model exploded: out of credits") == true)
        #expect(lines["S3"]?["failure_class"] as? String == "timeout")
        #expect(lines["S4"]?["status"] as? String == "succeeded")
        #expect(lines["S5"]?["failure_class"] as? String == "invalid_output")
        #expect(lines["S6"]?["status"] as? String == "succeeded")
        // The data reached the program as one argument, untouched, and no shell ran it.
        let log = try String(contentsOf: run.directory.appendingPathComponent("prompts.log"), encoding: .utf8)
        #expect(log.contains(injection))
        #expect(!FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("pwned").path))
        #expect(!FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("pwned2").path))
        // The JSON answer's file was taken and moved into place.
        #expect(FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("out/S4.png").path))
        #expect(!FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("alt.png").path))
        // Nothing half-written is left behind (the timed-out call's temporary file included).
        let left = try FileManager.default.contentsOfDirectory(atPath: run.directory.appendingPathComponent("out").path)
        #expect(left.sorted() == ["S1.png", "S4.png", "S6.png", "manifest.jsonl", "runs"])
    }

    /// Every non-zero exit was `bad_request`, never retried: exit codes and JSON errors now say
    /// what went wrong.
    @Test func exitCodesAndJSONErrorsGiveTheFailureClass() async throws {
        let run = try await Self.run(["busy now", "quota gone", "unsafe thing", "access denied", "this will fail"],
                                     settings: ", retry_exit_codes: [75], exit_codes: { auth: [77] }", attempts: 2)
        let lines = Dictionary(run.lines(stage: "hero").map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        // 75 is "try again": the second attempt made the image.
        #expect(lines["S1"]?["status"] as? String == "succeeded")
        #expect(lines["S1"]?["attempts"] as? Int == 2)
        #expect(lines["S2"]?["failure_class"] as? String == "rate_limited")
        #expect((lines["S2"]?["message"] as? String)?.contains("quota exhausted, retry later") == true)
        #expect(lines["S3"]?["failure_class"] as? String == "content_policy")
        #expect(lines["S3"]?["attempts"] as? Int == 1)
        #expect(lines["S4"]?["failure_class"] as? String == "auth")
        #expect(lines["S5"]?["failure_class"] as? String == "bad_request")
        #expect(lines["S5"]?["attempts"] as? Int == 1)
    }

    @Test func exitCodesNameKnownFailureClasses() {
        let (outcome, _) = Fixtures.validate("""
        version: 1
        name: p
        providers:
          tool: { kind: command, command: ["x", "{{ output }}"], exit_codes: { rate_limit: [75] } }
        """)
        #expect(Fixtures.lines(outcome) == ["pipeline.yaml:4:72: error: 'rate_limit' is not one of the names 'exit_codes' takes; did you mean 'rate_limited'?"])
    }

    /// The program was handed a path in a folder that did not exist yet, so on a fresh output
    /// folder every item failed with the program's own "no such file".
    @Test func theOutputFolderExistsBeforeTheProgramRuns() async throws {
        let run = try await Self.run(["a red mug", "a blue cup"], output: "hero/new/{{ sku }}.png")
        #expect(run.stage("hero").succeeded == 2, "\(run.lines(stage: "hero").map { $0["message"] ?? "" })")
        #expect(FileManager.default.fileExists(atPath: run.directory.appendingPathComponent("out/hero/new/S2.png").path))
    }
}
