import Foundation

/// What `imagepipe report` shows, read from the manifest (`manifest.jsonl`, every (stage, item)
/// as it last ended) and, with `--compare`, the run manifests (`runs/*.jsonl`) up to an earlier
/// run: one card per (stage, item, variant), failures first.
public struct ReportModel: Sendable {
    public struct Card: Sendable, Equatable {
        public var stage: String
        public var key: String
        public var variant: Int?
        /// Matrix values as `name=value` pairs, in the manifest's order.
        public var matrix: [(String, String)]
        public var status: String
        public var failureClass: String?
        public var message: String?
        public var prompt: String?
        public var model: String?
        public var provider: String?
        /// The image, relative to output_dir; nil for failures and non-image stages.
        public var path: String?
        public var sha256: String?
        public var width: Int?
        public var height: Int?
        public var url: String?
        public var attempts: Int?
        public var latencyMS: Int?
        public var costUSD: Double?
        /// With `--compare`: new, regenerated, unchanged or removed.
        public var change: String?
        /// For a regenerated image: the earlier one's file (shown if still there under another
        /// name) and its SHA-256 (whose thumbnail may outlive the file).
        public var earlierPath: String?
        public var earlierSHA256: String?

        public static func == (a: Card, b: Card) -> Bool {
            a.stage == b.stage && a.key == b.key && a.variant == b.variant && a.matrix.elementsEqual(b.matrix, by: { $0 == $1 })
                && a.status == b.status && a.path == b.path && a.sha256 == b.sha256 && a.change == b.change
        }

        /// What identifies the card across runs.
        var identity: String {
            ([stage, key, variant.map(String.init) ?? ""] + matrix.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
        }
    }

    public struct Summary: Sendable {
        public var pipeline: String
        public var counts: [String: Int] = [:]
        public var costUSD = 0.0
        public var budgetUSD: Double?
        /// Seconds from the first to the last finish in the manifest's latest run.
        public var seconds: Double?
        public var runID: String?
        /// With `--compare`: the run compared with, and counts per change.
        public var comparedWith: String?
        public var changes: [String: Int] = [:]
    }

    public var stages: [String]
    public var cards: [Card]
    public var summary: Summary

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `compare`: a run id, or `previous` for the run before the latest.
    public static func load(manifest: String, runsDirectory: String, stages: [String], pipeline: String, budgetUSD: Double?,
                            compare: String? = nil) throws(Failure) -> ReportModel {
        guard FileManager.default.fileExists(atPath: manifest) else {
            throw Failure(description: "no manifest at \(manifest) yet: run the pipeline first (imagepipe run)")
        }
        var cards = lines(manifest).map(card)
        var summary = Summary(pipeline: pipeline, budgetUSD: budgetUSD)
        for card in cards {
            summary.counts[card.status, default: 0] += 1
            summary.costUSD += card.costUSD ?? 0
        }
        let runLines = try? runManifests(runsDirectory)
        if let latest = runLines?.last {
            summary.runID = latest.id
            let times = latest.lines.compactMap { $0["finished_at"].flatMap(number) }
            if let first = times.min(), let last = times.max() { summary.seconds = last - first }
        }
        if let compare {
            guard let runs = runLines, !runs.isEmpty else { throw Failure(description: "--compare: no run manifests in \(runsDirectory)") }
            let index: Int
            if compare == "previous" {
                guard runs.count >= 2 else { throw Failure(description: "--compare previous: only one run so far, nothing to compare with") }
                index = runs.count - 2
            } else {
                guard let found = runs.lastIndex(where: { $0.id == compare }) else {
                    throw Failure(description: "--compare \(compare): no such run; the runs are \(runs.map(\.id).joined(separator: ", "))")
                }
                index = found
            }
            summary.comparedWith = runs[index].id
            var earlier: [String: Card] = [:]
            for run in runs[...index] {
                for line in run.lines {
                    let c = card(line)
                    if c.status == "succeeded" || c.status == "cached" { earlier[c.identity] = c } else if earlier[c.identity]?.status != "succeeded" { earlier[c.identity] = nil }
                }
            }
            var seen = Set<String>()
            for i in cards.indices {
                let identity = cards[i].identity
                seen.insert(identity)
                guard cards[i].status == "succeeded" || cards[i].status == "cached" else { continue }
                if let before = earlier[identity] {
                    if before.sha256 != nil, before.sha256 == cards[i].sha256 {
                        cards[i].change = "unchanged"
                    } else {
                        cards[i].change = "regenerated"
                        cards[i].earlierSHA256 = before.sha256
                        if let old = before.path, old != cards[i].path { cards[i].earlierPath = old }
                    }
                } else {
                    cards[i].change = "new"
                }
            }
            for (identity, before) in earlier where !seen.contains(identity) {
                var removed = before
                removed.change = "removed"
                cards.append(removed)
            }
            for card in cards { if let change = card.change { summary.changes[change, default: 0] += 1 } }
        }
        let order = Dictionary(stages.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let statusOrder = ["failed": 0, "cancelled": 1, "skipped": 2, "submitted": 3, "succeeded": 4, "cached": 5]
        cards.sort { a, b in
            // A reviewer starts with what failed.
            let sa = statusOrder[a.status] ?? 6, sb = statusOrder[b.status] ?? 6
            if (sa == 0) != (sb == 0) { return sa == 0 }
            let oa = order[a.stage] ?? Int.max, ob = order[b.stage] ?? Int.max
            if oa != ob { return oa < ob }
            if a.key != b.key { return a.key < b.key }
            if a.variant != b.variant { return (a.variant ?? 0) < (b.variant ?? 0) }
            return a.matrix.map { "\($0.0)=\($0.1)" }.joined(separator: ",") < b.matrix.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        }
        return ReportModel(stages: stages, cards: cards, summary: summary)
    }

    private static func lines(_ path: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    /// Every `runs/*.jsonl`, oldest first (by the run id of its lines, else its name).
    private static func runManifests(_ directory: String) throws -> [(id: String, lines: [[String: Any]])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
        let runs = names.map { name -> (id: String, lines: [[String: Any]]) in
            let lines = lines(directory + "/" + name)
            return (lines.first?["run_id"] as? String ?? String(name.dropLast(".jsonl".count)), lines)
        }
        return runs.sorted { a, b in
            if let x = Int(a.id), let y = Int(b.id) { return x < y }
            return a.id < b.id
        }
    }

    private static func number(_ value: Any) -> Double? {
        (value as? NSNumber)?.doubleValue
    }

    private static func card(_ line: [String: Any]) -> Card {
        var matrix: [(String, String)] = []
        if let values = line["matrix"] as? [String: Any] {
            matrix = values.keys.sorted().map { ($0, "\(values[$0] ?? "")") }
        }
        // A transform's named outputs are cards of their own, named like a matrix value.
        if let output = line["output"] as? String { matrix.append(("output", output)) }
        return Card(stage: line["stage"] as? String ?? "?", key: line["key"] as? String ?? "?", variant: (line["variant"] as? NSNumber)?.intValue,
                    matrix: matrix, status: line["status"] as? String ?? "?", failureClass: line["failure_class"] as? String,
                    message: line["message"] as? String, prompt: line["prompt"] as? String, model: line["model"] as? String,
                    provider: line["provider"] as? String, path: line["path"] as? String, sha256: line["sha256"] as? String,
                    width: (line["width"] as? NSNumber)?.intValue, height: (line["height"] as? NSNumber)?.intValue, url: line["url"] as? String,
                    attempts: (line["attempts"] as? NSNumber)?.intValue, latencyMS: (line["latency_ms"] as? NSNumber)?.intValue,
                    costUSD: line["cost_usd"].flatMap(number))
    }
}
