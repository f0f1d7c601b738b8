import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct PlanBuilderTests {
    static let header = """
    version: 1
    name: p
    budget: { max_usd: 1 }
    providers:
      fast: { kind: gemini, api_key: k-123456, prices: { custom-model: 0.5 } }
    sources:
      products: { csv: data.csv, key: "{{ sku }}" }

    """

    func plan(_ stages: String, csv: String) -> (PlanReport?, [String]) {
        let (outcome, _) = Fixtures.validate(Self.header + stages, files: ["data.csv": csv])
        guard outcome.isValid, let pipeline = outcome.pipeline else { return (nil, Fixtures.lines(outcome)) }
        let report = PlanBuilder(pipeline: pipeline, diagnostics: outcome.diagnostics).build()
        return (report, outcome.diagnostics.sorted().map(\.formatted))
    }

    static let hero = """
    stages:
      hero:
        generate: { from: products, provider: fast, model: gemini-2.5-flash-image, prompt: "{{ name }}", output: "hero/{{ sku }}.png" }

    """

    @Test func countsItemsAndEstimatesCost() throws {
        let (report, lines) = plan(Self.hero, csv: "sku,name\nA1,Mug\nA2,Tote\n")
        #expect(lines == [])
        let stage = try #require(report?.stages.first)
        #expect(stage.items == 2)
        #expect(stage.unitPriceUSD == 0.039)
        #expect(abs((report?.totalCostUSD ?? 0) - 0.078) < 1e-9)
        #expect(report?.budgetHolds == true)
        #expect(stage.samples.first?.lines.map(\.label) == ["prompt", "output"])
    }

    @Test func providerPricesOverrideAndBudgetWarns() throws {
        let stages = Self.hero.replacingOccurrences(of: "gemini-2.5-flash-image", with: "custom-model")
        let (report, lines) = plan(stages, csv: "sku,name\nA1,Mug\nA2,Tote\nA3,Cap\n")
        #expect(report?.totalCostUSD == 1.5)
        #expect(report?.budgetHolds == false)
        #expect(lines == ["pipeline.yaml:3:1: warning: the estimated cost $1.50 exceeds budget.max_usd $1.00: the run will stop when the budget is reached; raise max_usd, or try a part first with fewer items"])
    }

    @Test func duplicateKeysNameBothLines() {
        let (_, lines) = plan(Self.hero, csv: "sku,name\nA1,Mug\nA2,Tote\nA1,Cap\n")
        #expect(lines.contains("data.csv:4:1: error: duplicate key 'A1' in source 'products': first at data.csv:2; keys must be unique: each names one item's outputs and its resume state"))
    }

    @Test func dataThatEscapesTheOutputFolderIsRefused() {
        let (_, lines) = plan(Self.hero, csv: "sku,name\n../../etc/x,Mug\n")
        #expect(lines.first == "data.csv:2:1: error: stage 'hero' output path 'hero/../../etc/x.png' for item '../../etc/x' leaves output_dir; this item's data contains '..' or '/' where the path uses it; clean the data or use the 'slug' filter")
    }

    @Test func collidingOutputPathsAreRefused() {
        let stages = Self.hero.replacingOccurrences(of: "hero/{{ sku }}.png", with: "hero/{{ name | slug }}.png")
        let (_, lines) = plan(stages, csv: "sku,name\nA1,Red Mug\nA2,red mug\n")
        #expect(lines.first == "data.csv:3:1: error: stage 'hero' output path 'hero/red-mug.png' for item 'A2' is already written by stage 'hero' for the item at data.csv:2; make the output path unique per item, e.g. with {{ key }}")
    }

    /// Korean names slugged to nothing wrote every item to `hero/.png`.
    @Test func slugPathsOfKoreanAndJapaneseNamesAreDistinct() throws {
        let stages = Self.hero.replacingOccurrences(of: "hero/{{ sku }}.png", with: "hero/{{ name | slug }}.png")
        let (report, lines) = plan(stages, csv: "sku,name\nK1,가죽 지갑\nK2,눈 오는 거리\nJ1,ガラスの花瓶\nE1,Crème Brûlée\n")
        #expect(lines == [])
        let outputs = report?.stages.first?.samples.compactMap { $0.lines.first { $0.label == "output" }?.value }
        #expect(outputs == ["out/hero/가죽-지갑.png", "out/hero/눈-오는-거리.png", "out/hero/ガラスの花瓶.png"])
    }

    @Test func anEmptyFileNameIsAnErrorOfItsOwn() {
        let stages = Self.hero.replacingOccurrences(of: "hero/{{ sku }}.png", with: "hero/{{ name | slug }}.png")
        let (_, lines) = plan(stages, csv: "sku,name\nA1,!!!\n")
        #expect(lines.first?.hasPrefix("data.csv:2:1: error: stage 'hero' output path 'hero/.png' for item 'A1' has an empty file name") == true)
    }

    @Test func raggedRowsAndQuotingErrorsNameTheirLine() {
        let (_, lines) = plan(Self.hero, csv: "sku,name\nA1,Mug,extra\nA2,\"Tote\n")
        #expect(lines.contains("data.csv:2:1: error: this row has 3 fields, the header has 2; quote fields that contain commas"))
        #expect(lines.contains { $0.hasPrefix("data.csv:3:4: error: a quoted field is never closed") })
    }

    @Test func missingJSONLFieldIsReportedAtItsLine() throws {
        let yaml = """
        version: 1
        name: p
        providers: { fast: { kind: placeholder } }
        sources: { posts: { jsonl: posts.jsonl, key: "{{ slug }}" } }
        stages:
          hero:
            generate: { from: posts, provider: fast, model: m, prompt: "{{ title }} {{ mood | default(\\"calm\\") }}", output: "{{ slug }}.png" }
        """
        let (outcome, _) = Fixtures.validate(yaml, files: ["posts.jsonl": "{\"slug\":\"a\",\"title\":\"A\"}\n\n{\"slug\":\"b\"}\n"])
        #expect(outcome.isValid)
        _ = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        #expect(Fixtures.lines(outcome) == ["posts.jsonl:3:1: error: item 'b' has no field 'title', needed by the prompt of stage 'hero'; add the field, or use {{ title | default(\"x\") }}"])
    }

    @Test func downstreamTemplatesSeeUpstreamOutputs() throws {
        let stages = Self.hero + """
          upload:
            s3_upload: { from: hero, bucket: assets, key: "p/{{ sku }}.png", region: eu-west-1 }
          cms:
            http: { from: upload, method: PATCH, url: "https://cms.example.com/{{ sku }}", json: { image: "{{ upload.url }}", path: "{{ hero.path }}" } }
        """
        let (report, lines) = plan(stages, csv: "sku,name\nA1,Mug\n")
        // Only the warning that the test's environment has no S3 credentials.
        #expect(lines == ["pipeline.yaml:12:5: warning: stage 'upload' has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or its access_key_id and secret_access_key"])
        let cms = try #require(report?.stages.last?.samples.first)
        #expect(cms.lines.first { $0.label == "json" }?.value == #"{"image":"https://assets.s3.eu-west-1.amazonaws.com/p/A1.png","path":"out/hero/A1.png"}"#)
    }

    /// A stage whose provider has a batch API: plan shows the total now and as a batch, whichever
    /// mode the stage is in; an edit (no batch line) counts at its list price in both.
    @Test func bothTotalsWhereABatchCouldServe() throws {
        func printed(_ batch: String) throws -> (text: String, json: String) {
            let yaml = """
            version: 1
            name: p
            providers: { oa: { kind: openai, api_key: k } }
            sources: { products: { items: [{ sku: A1 }, { sku: A2 }, { sku: A3 }, { sku: A4 }], key: "{{ sku }}" } }
            stages:
              hero:
                generate: { from: products, provider: oa, model: gpt-image-1, size: 1024x1024, prompt: "x {{ sku }}", output: "{{ sku }}.png"\(batch) }
              styled:
                edit: { from: hero, provider: oa, model: gpt-image-1, size: 1024x1024, prompt: "on a table", output: "s/{{ sku }}.png" }
            """
            let dir = Fixtures.temporaryDirectory()
            let path = dir.appendingPathComponent("p.yaml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let outcome = PipelineValidator(environment: [:], secrets: SecretSet()).validate(path: path)
            let report = PlanBuilder(pipeline: try #require(outcome.pipeline, "\(outcome.diagnostics.sorted())"), diagnostics: outcome.diagnostics).build()
            let printer = PlanPrinter(secrets: SecretSet())
            return (printer.text(report), printer.json(report, diagnostics: []))
        }
        // 4 × $0.042 now and 4 × $0.021 as a batch, plus the edits' 4 × $0.042 in both.
        let now = try printed("")
        #expect(now.text.contains("Estimated cost: $0.34"), "\(now.text)")
        #expect(now.text.contains("$0.34 now, $0.25 as a batch (batch: true would suit hero;"), "\(now.text)")
        let batched = try printed(", batch: true")
        #expect(batched.text.contains("Estimated cost: $0.25"), "\(batched.text)")
        #expect(batched.text.contains("$0.34 now, $0.25 as a batch (in batch mode: hero;"), "\(batched.text)")
        #expect(batched.json.contains("\"total_cost_usd_as_batch\""), "\(batched.json)")
        // `batch: false` says the stage must not wait: no batch total is offered for it.
        let off = try printed(", batch: false")
        #expect(!off.text.contains("as a batch"), "\(off.text)")
    }

    @Test func secretsNeverAppearInPlanOutput() throws {
        let yaml = """
        version: 1
        name: p
        providers: { fast: { kind: openai, api_key: "${CANARY_KEY}" } }
        sources: { products: { items: [{ sku: A1 }], key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: fast, model: gpt-image-1, prompt: "x {{ sku }}", output: "{{ sku }}.png" }
          cms:
            http: { from: hero, url: "https://cms.example.com/{{ sku }}", headers: { Authorization: "Bearer ${CANARY_TOKEN}" }, json: { t: "${CANARY_TOKEN}" } }
        """
        let secrets = SecretSet()
        let dir = Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("p.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = PipelineValidator(environment: ["CANARY_KEY": "sk-canary-0001", "CANARY_TOKEN": "tok-canary-0002"], secrets: secrets)
            .validate(path: path)
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        let printer = PlanPrinter(secrets: secrets)
        let output = printer.text(report) + printer.json(report, diagnostics: outcome.diagnostics.sorted())
        #expect(!output.contains("canary"))
        #expect(output.contains("***"))
    }

    /// Only secrets are masked: fields declared secret, credential headers, `${secret:NAME}` and
    /// variables named like credentials. A CSV path or a CMS host from the environment prints.
    @Test func onlySecretsAreMasked() throws {
        let yaml = """
        version: 1
        name: p
        providers: { fast: { kind: openai, api_key: sk-written-in-the-file-0001 } }
        sources: { products: { csv: "${CATALOG}", key: "{{ sku }}" } }
        stages:
          hero:
            generate: { from: products, provider: fast, model: gpt-image-1, prompt: "x {{ sku }} ${BRAND}", output: "{{ sku }}.png" }
          cms:
            http:
              from: hero
              url: "${CMS_URL}/api/{{ sku }}"
              headers: { Authorization: "Bearer ${CMS_BEARER}", X-Trace: "${TRACE_ID}", X-Session: "${secret:CMS_SESSION}" }
              json: { t: "${CMS_TOKEN}", s: "${secret:CMS_SESSION}" }
        """
        let secrets = SecretSet()
        let dir = Fixtures.temporaryDirectory()
        try "sku\nA1\n".write(toFile: dir.appendingPathComponent("catalog-2026.csv").path, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("p.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let environment = ["CATALOG": "catalog-2026.csv", "BRAND": "acme-brand", "CMS_URL": "https://cms.example.com", "CMS_BEARER": "bearer-canary-01",
                           "TRACE_ID": "trace-visible-02", "CMS_SESSION": "session-canary-03", "CMS_TOKEN": "token-canary-04"]
        let outcome = PipelineValidator(environment: environment, secrets: secrets).validate(path: path)
        let report = PlanBuilder(pipeline: try #require(outcome.pipeline), diagnostics: outcome.diagnostics).build()
        let printer = PlanPrinter(secrets: secrets)
        let output = printer.text(report) + printer.json(report, diagnostics: outcome.diagnostics.sorted())
        for visible in ["catalog-2026.csv", "x A1 acme-brand", "https://cms.example.com/api/A1"] { #expect(output.contains(visible), "\(visible)") }
        for secret in ["sk-written-in-the-file-0001", "bearer-canary-01", "session-canary-03", "token-canary-04"] {
            #expect(secrets.redact("[\(secret)]") == "[***]", "\(secret) is a secret")
            #expect(!output.contains(secret), "\(secret)")
        }
        #expect(secrets.redact("trace-visible-02") == "trace-visible-02")
        // Names that only look like credentials stay visible; a credential query parameter does not.
        for (name, secret) in [("PWD", false), ("KEY_COLUMN", false), ("PRIVATE_BUCKET", false), ("STRIPE_KEY", true), ("AWS_ACCESS_KEY_ID", true), ("DB_PASSWORD", true)] {
            #expect(SecretNames.isSecretVariable(name) == secret, "\(name)")
        }
    }

    /// One template mistake over many rows is one error at the template's line, with the count
    /// and two examples; a duplicate key adds no collision errors of its own.
    @Test func dataErrorsAreGroupedAtTheirTemplate() {
        var csv = "sku,name,category\n"
        for i in 0..<45 { csv += "A\(i),Product \(i),\(["shoes", "bags", "hats"][i % 3])\n" }
        csv += "A3,Again,shoes\n"
        let stages = """
        stages:
          hero:
            generate: { from: products, provider: fast, model: gemini-2.5-flash-image, prompt: "{{ name }}", output: "hero/{{ category }}.png" }

        """
        let (_, lines) = plan(stages, csv: csv)
        let errors = lines.filter { $0.contains("error:") }
        #expect(errors == [
            "data.csv:47:1: error: duplicate key 'A3' in source 'products': first at data.csv:5; keys must be unique: each names one item's outputs and its resume state",
            "pipeline.yaml:10:102: error: stage 'hero' output 'hero/{{ category }}.png' gives several items one path: 42 items, e.g. 'out/hero/shoes.png' for 'A3' (data.csv:5), first at data.csv:2; "
                + "'out/hero/bags.png' for 'A4' (data.csv:6), first at data.csv:3; …; make the output path unique per item, e.g. with {{ key }}",
        ])
    }
}
