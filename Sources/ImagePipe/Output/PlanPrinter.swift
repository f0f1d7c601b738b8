import Foundation

/// Prints a `PlanReport` for people (text) or tools (JSON). Everything passes through `secrets`.
public struct PlanPrinter {
    public var secrets: SecretSet

    public init(secrets: SecretSet) { self.secrets = secrets }

    static func usd(_ value: Double) -> String {
        value == 0 ? "$0" : value < 0.01 ? String(format: "$%.4f", value) : String(format: "$%.2f", value)
    }

    /// A per-image price keeps its third decimal ($0.039), which totals round away.
    static func unitUSD(_ value: Double) -> String {
        value == 0 ? "$0" : String(format: "$%.3f", value)
    }

    public func text(_ report: PlanReport) -> String {
        var out = "Plan for \(report.pipeline) (\(report.file)); nothing is called and nothing is written.\n"
        out += "Output folder: \(report.outputDirectory)\n\nDAG\n"
        for source in report.sources {
            let path = source.path.map { " \($0)" } ?? ""
            out += "  \(source.name)  (\(source.kind)\(path), \(source.items) item\(source.items == 1 ? "" : "s"))\n"
            appendTree(of: source.name, depth: 1, report: report, to: &out)
        }
        for stage in report.stages {
            out += "\nStage \(stage.name) (\(stage.kind) from \(stage.from)"
            if let provider = stage.provider { out += ", provider \(provider)" }
            if let model = stage.model { out += ", model \(model)" }
            out += "): \(stage.items) \(noun(stage, stage.items))"
            if !report.selection.isEverything {
                out += "; \(stage.selected) selected (\(report.selection.description))"
                if report.ledger != nil { out += ": \(stage.cached) cached, \(stage.toRun) to run" }
                out += "; not selected: \(stage.doneEarlier) done earlier, \(stage.notSelected) not done"
            } else if report.ledger != nil {
                out += " (\(stage.cached) cached, \(stage.toRun) to run)"
            }
            if stage.blocked > 0 {
                out += "; \(stage.blocked) refused by the provider before and unchanged, not sent again (--retry-failed sends \(stage.blocked == 1 ? "it" : "them"))"
            }
            out += "\n"
            if stage.isPaid {
                if let price = stage.unitPriceUSD, let source = stage.priceSource {
                    out += "  cost: \(stage.toRun) × \(Self.unitUSD(price)) = \(Self.usd(price * Double(stage.toRun)))  (\(source))\n"
                    if stage.regenerations > 0, price > 0 {
                        let worst = price * Double(stage.toRun * (1 + stage.regenerations))
                        out += "  at most \(Self.usd(worst)) if every image fails its checks and is made again \(stage.regenerations) more time\(stage.regenerations == 1 ? "" : "s") (on_check_failure: regenerate); the budget caps it\n"
                    }
                } else {
                    out += "  cost: unknown (no price for this model; set the provider's 'prices')\n"
                }
            }
            for sample in stage.samples {
                out += "  [\(sample.key)]\n"
                for (label, value) in sample.lines {
                    out += "    \(label.padding(toLength: 8, withPad: " ", startingAt: 0)) \(value.replacingOccurrences(of: "\n", with: " "))\n"
                }
            }
            if stage.selected > stage.samples.count, !stage.samples.isEmpty { out += "  … and \(stage.selected - stage.samples.count) more\n" }
        }
        if let ledger = report.ledger {
            let cached = report.stages.map(\.cached).reduce(0, +), toRun = report.stages.map(\.toRun).reduce(0, +)
            out += "\nLedger \(ledger): \(cached) cached, \(toRun) to run."
        }
        out += "\nEstimated cost: \(Self.usd(report.totalCostUSD))"
        if !report.costIsComplete { out += " (at least: some models have no known price)" }
        if let budget = report.budgetUSD {
            out += report.budgetHolds == true ? " — within the budget of \(Self.usd(budget))" : " — OVER the budget of \(Self.usd(budget))"
        }
        out += "\n"
        if let totals = report.totalsNowAndAsBatch, totals.now != totals.batch {
            let batched = report.stages.filter { $0.priceModes?.inBatch == true }.map(\.name)
            let could = report.stages.filter { $0.priceModes?.inBatch == false }.map(\.name)
            var how: [String] = []
            if !batched.isEmpty { how.append("in batch mode: " + batched.joined(separator: ", ")) }
            if !could.isEmpty { how.append("batch: true would suit " + could.joined(separator: ", ")) }
            out += "  \(Self.usd(totals.now)) now, \(Self.usd(totals.batch)) as a batch (\(how.joined(separator: "; ")); a batch answers within 24 h)\n"
        }
        return secrets.redact(out)
    }

    private func noun(_ stage: PlanReport.StageSummary, _ count: Int) -> String {
        count == 1 ? stage.unitName : stage.unitName + "s"
    }

    private func appendTree(of parent: String, depth: Int, report: PlanReport, to out: inout String) {
        for stage in report.stages where stage.from == parent {
            var line = String(repeating: "   ", count: depth - 1) + "  └─ \(stage.name)  \(stage.kind)"
            if let provider = stage.provider, let model = stage.model { line += " \(provider)/\(model)" }
            line += ", \(stage.items) \(noun(stage, stage.items))"
            if !report.selection.isEverything { line += ", \(stage.selected) selected" }
            if report.ledger != nil { line += " (\(stage.cached) cached)" }
            if stage.isPaid { line += stage.costUSD.map { ", \(Self.usd($0))" } ?? ", cost unknown" }
            out += line + "\n"
            appendTree(of: stage.name, depth: depth + 1, report: report, to: &out)
        }
    }

    public func json(_ report: PlanReport, diagnostics: [Diagnostic]) -> String {
        let value = JSONValue.object([
            ("pipeline", .string(report.pipeline)),
            ("file", .string(report.file)),
            ("output_dir", .string(report.outputDirectory)),
            ("sources", .array(report.sources.map { s in
                .object([("name", .string(s.name)), ("kind", .string(s.kind)), ("path", s.path.map(JSONValue.string) ?? .null),
                         ("items", .int(s.items)), ("keyed", .bool(s.keyed))])
            })),
            ("stages", .array(report.stages.map { s in
                .object([
                    ("name", .string(s.name)), ("kind", .string(s.kind)), ("from", .string(s.from)),
                    ("provider", s.provider.map(JSONValue.string) ?? .null), ("model", s.model.map(JSONValue.string) ?? .null),
                    ("items", .int(s.items)), ("selected", .int(s.selected)), ("cached", .int(s.cached)), ("to_run", .int(s.toRun)),
                    ("done_earlier", .int(s.doneEarlier)), ("not_selected", .int(s.notSelected)), ("blocked", .int(s.blocked)),
                    ("unit_price_usd", s.isPaid ? (s.unitPriceUSD.map(JSONValue.double) ?? .null) : .double(0)),
                    ("price_source", s.priceSource.map(JSONValue.string) ?? .null),
                    ("cost_usd", s.costUSD.map(JSONValue.double) ?? .null),
                    ("samples", .array(s.samples.map { sample in
                        .object([("key", .string(sample.key))] + sample.lines.map { ($0.label, .string($0.value)) })
                    })),
                ])
            })),
            ("ledger", report.ledger.map(JSONValue.string) ?? .null),
            ("total_cost_usd", .double(report.totalCostUSD)),
            ("total_cost_usd_now", report.totalsNowAndAsBatch.map { .double($0.now) } ?? .null),
            ("total_cost_usd_as_batch", report.totalsNowAndAsBatch.map { .double($0.batch) } ?? .null),
            ("cost_complete", .bool(report.costIsComplete)),
            ("budget_usd", report.budgetUSD.map(JSONValue.double) ?? .null),
            ("budget_holds", report.budgetHolds.map(JSONValue.bool) ?? .null),
            ("diagnostics", .array(diagnostics.map { DiagnosticFormat.json($0, secrets: secrets) })),
        ])
        return secrets.redact(value.serialized()) + "\n"
    }
}
