import Foundation
import Testing

/// Runs the built `imagepipe` binary, as users and CI do: exit codes and output formats.
@Suite struct CLITests {
    static let binary = Fixtures.repository.appendingPathComponent(".build/debug/imagepipe")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], in directory: URL = Fixtures.repository) async throws -> Result {
        let process = ChildProcess()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let read = await process.finish(reading: out, err)
        let (stdout, stderr) = (read[0], read[1])
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `validate --strict` said valid without S3 credentials, and `run` then failed with an
    /// error that had no line: now both say it at the stage's line, `plan` as a warning.
    @Test func missingS3CredentialsAreReportedAtTheStage() async throws {
        let dir = Fixtures.temporaryDirectory()
        try """
        version: 1
        name: creds
        providers: { local: { kind: placeholder } }
        sources: { products: { items: [{ sku: A1 }], key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "{{ sku }}", output: "{{ sku }}.png" }
          upload:
            s3_upload: { from: hero, bucket: b, key: "{{ sku }}.png" }
        """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let line = "p.yaml:9:5: error: stage 'upload' has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or its access_key_id and secret_access_key"
        let strict = try await run(["validate", "--strict", "p.yaml"], in: dir)
        #expect(strict.status == 2)
        #expect(strict.stdout.contains(line) || strict.stderr.contains(line), "\(strict.stdout)\(strict.stderr)")
        let plan = try await run(["plan", "p.yaml"], in: dir)
        #expect(plan.status == 0)
        #expect(plan.stderr.contains(line.replacingOccurrences(of: ": error: ", with: ": warning: ")), "\(plan.stderr)")
        let runs = try await run(["run", "p.yaml"], in: dir)
        #expect(runs.status == 2)
        #expect(runs.stderr.contains(line), "\(runs.stderr)")
    }

    @Test func validateExitCodes() async throws {
        #expect(try await run(["validate", "pipelines/quickstart.yaml"]).status == 0)
        let invalid = try await run(["validate", "20-unknown-field.yaml"], in: Fixtures.invalid)
        #expect(invalid.status == 2)
        #expect(invalid.stdout.hasPrefix("20-unknown-field.yaml:16:30: error: unknown field 'colour'"))
    }

    @Test func githubAnnotations() async throws {
        let result = try await run(["validate", "--format", "github", "13-unknown-from.yaml"], in: Fixtures.invalid)
        #expect(result.status == 2)
        #expect(result.stdout == "::error file=13-unknown-from.yaml,line=13,col=13::unknown source or stage 'prodcts'; did you mean 'products'?\n")
    }

    @Test func jsonDiagnostics() async throws {
        let result = try await run(["validate", "--format", "json", "06-bad-version.yaml"], in: Fixtures.invalid)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["line"] as? Int == 1)
        #expect(parsed?.first?["severity"] as? String == "error")
    }

    @Test func usageErrorsExitWith2() async throws {
        #expect(try await run(["validate"]).status == 2)
        #expect(try await run(["plan", "x.yaml", "--format", "xml"]).status == 2)
        #expect(try await run(["frobnicate"]).status == 2)
    }

    @Test func planPrintsTheDryRunAndJSON() async throws {
        let text = try await run(["plan", "pipelines/quickstart.yaml"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("hero/a100.png"))
        #expect(text.stdout.contains("Estimated cost: $0"))
        let json = try await run(["plan", "--format", "json", "pipelines/quickstart.yaml"])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((parsed?["stages"] as? [[String: Any]])?.first?["items"] as? Int == 8)
        #expect(try await run(["plan", "16-cycle.yaml"], in: Fixtures.invalid).status == 2)
    }

    /// On a fresh copy, so that what earlier runs left in pipelines/ cannot hide a write: the
    /// whole tree is the same file for file, byte for byte, after a plan.
    @Test func planWritesNothing() async throws {
        let dir = Fixtures.temporaryDirectory()
        for name in ["quickstart.yaml", "data"] {
            try FileManager.default.copyItem(at: Fixtures.pipelines.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        func tree() throws -> [String: Data] {
            var files: [String: Data] = [:]
            let walker = FileManager.default.enumerator(atPath: dir.path)
            while let path = walker?.nextObject() as? String {
                files[path] = FileManager.default.contents(atPath: dir.appendingPathComponent(path).path) ?? Data("<folder>".utf8)
            }
            return files
        }
        let before = try tree()
        #expect(try await run(["plan", "quickstart.yaml"], in: dir).status == 0)
        #expect(try tree() == before)
    }

    /// `emulate --port N` with N taken: words and a way out, not a Swift call signature.
    @Test func emulateOnAPortInUseSaysSo() async throws {
        let taken = try LoopbackSocket(listening: true)
        defer { taken.close() }
        let port = taken.port
        let result = try await CLIProcess.run(["emulate", "--port", String(port)], in: Fixtures.temporaryDirectory())
        #expect(result.status == 1)
        #expect(result.stderr == "error: cannot listen on 127.0.0.1:\(port): the port is in use by another program; pick another with --port, or --port 0 for any free one\n")
    }

    /// `validate --data` reads every row as `plan` does, for CI, and prints no plan.
    @Test func validateDataChecksEveryRow() async throws {
        let dir = Fixtures.temporaryDirectory()
        try """
        version: 1
        name: data-check
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "{{ name }}", output: "{{ name | slug }}.png" }
        """.write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try "sku,name\nA1,Mug\nA2,MUG!\n".write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        let plain = try await CLIProcess.run(["validate", "p.yaml"], in: dir)
        #expect(plain.status == 0 && plain.stdout == "p.yaml: valid\n")
        let checked = try await CLIProcess.run(["validate", "--data", "p.yaml"], in: dir)
        #expect(checked.status == 2)
        #expect(checked.stdout.hasPrefix("products.csv:3:1: error: stage 'hero' output path 'mug.png' for item 'A2' is already written by stage 'hero' for the item at products.csv:2"), "\(checked.stdout)")
        #expect(!checked.stdout.contains("Plan for"))
    }

    /// `imagepipe init` writes a pipeline that validates and runs offline as it is, picks the key
    /// column, reads a semicolon file, and never overwrites.
    @Test func initWritesAStarterThatRuns() async throws {
        let dir = Fixtures.temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "name;SKU;color\n가죽 지갑;A1;Brown\nCafé Mug;A2;White\n".write(to: dir.appendingPathComponent("data/Spring Catalog.csv"), atomically: true, encoding: .utf8)
        let made = try await CLIProcess.run(["init", "data/Spring Catalog.csv"], in: dir)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout == "wrote spring_catalog.yaml; next: imagepipe plan spring_catalog.yaml\n")
        let yaml = try String(contentsOf: dir.appendingPathComponent("spring_catalog.yaml"), encoding: .utf8)
        #expect(yaml.contains("csv: data/Spring Catalog.csv") && yaml.contains("key: \"{{ SKU }}\"") && yaml.contains("delimiter: \";\""))
        #expect(yaml.contains("prompt: \"Product photo: {{ name }}, {{ color }}"))
        let run = try await CLIProcess.run(["run", "spring_catalog.yaml"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/spring_catalog/hero/a1.png").path))
        let again = try await CLIProcess.run(["init", "data/Spring Catalog.csv"], in: dir)
        #expect(again.status == 2 && again.stderr.contains("exists; imagepipe init never overwrites a file"))
    }

    /// After an `output:` change the old images stay; prune lists them, --delete removes them,
    /// and the manifest, runs/ and current images are left alone.
    @Test func pruneRemovesOnlyImagesNoItemOwns() async throws {
        let dir = Fixtures.temporaryDirectory()
        let yaml = """
        version: 1
        name: prune
        providers: { local: { kind: placeholder } }
        sources: { products: { csv: products.csv, key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: local, model: m, prompt: "{{ name }}", size: 16x16, output: "OUTPUT" }
        """
        try RunHarness.products(3).write(to: dir.appendingPathComponent("products.csv"), atomically: true, encoding: .utf8)
        try yaml.replacingOccurrences(of: "OUTPUT", with: "old/{{ sku }}.png").write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        #expect(try await CLIProcess.run(["run", "p.yaml"], in: dir).status == 0)
        try yaml.replacingOccurrences(of: "OUTPUT", with: "new/{{ sku }}.png").write(to: dir.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        #expect(try await CLIProcess.run(["run", "p.yaml"], in: dir).status == 0)

        let listed = try await CLIProcess.run(["prune", "p.yaml"], in: dir)
        #expect(listed.status == 0)
        #expect(listed.stdout.hasPrefix("out/old/P1.png\nout/old/P2.png\nout/old/P3.png\n3 images ("), "\(listed.stdout)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/old/P1.png").path), "listing removes nothing")
        let removed = try await CLIProcess.run(["prune", "--delete", "p.yaml"], in: dir)
        #expect(removed.status == 0 && removed.stdout.contains("removed 3 images"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/old").path), "the emptied folder goes too")
        for kept in ["out/new/P1.png", "out/manifest.jsonl", "out/runs"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(kept).path), "\(kept)")
        }
        let again = try await CLIProcess.run(["prune", "p.yaml"], in: dir)
        #expect(again.stdout == "out: every image belongs to a current item; nothing to prune\n")
    }
}
