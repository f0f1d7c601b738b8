import Foundation

/// Writes the report: a static site (`index.html`, `report.css`, `report.js` and the cards in
/// `data.js`) that opens from disk or any static host. Images are the run's own files, linked
/// relative to the report and loaded lazily; nothing is inlined.
public enum ReportWriter {
    public struct Written: Sendable {
        public var index: String
        /// Bytes of the page before any image: HTML, CSS, script and data.
        public var pageBytes: Int
        public var cards: Int
    }

    /// `outputDirectory`: the pipeline's output_dir (image paths are relative to it);
    /// `reportDirectory`: where to write (by default `output_dir/report`).
    /// `thumbnails`: what `ReportThumbnails` made (none by default).
    public static func write(_ model: ReportModel, outputDirectory: String, reportDirectory: String,
                             thumbnails: ReportThumbnails.Made = .init()) throws(AtomicFile.Failure) -> Written {
        do {
            try FileManager.default.createDirectory(atPath: reportDirectory, withIntermediateDirectories: true)
        } catch {
            throw AtomicFile.Failure(description: "cannot create \(reportDirectory): \((error as NSError).localizedDescription)")
        }
        let prefix = relativePrefix(from: reportDirectory, to: outputDirectory)
        let files: [(String, [UInt8])] = [
            ("index.html", Array(ReportPage.html(title: model.summary.pipeline).utf8)),
            ("report.css", Array(ReportPage.css.utf8)),
            ("report.js", Array(ReportScript.source.utf8)),
            ("data.js", Array(("window.IMAGEPIPE_REPORT = " + data(model, imagePrefix: prefix, thumbnails: thumbnails).serialized(pretty: false) + ";\n").utf8)),
        ]
        for (name, bytes) in files { try AtomicFile.write(bytes, to: reportDirectory + "/" + name) }
        return Written(index: reportDirectory + "/index.html", pageBytes: files.reduce(0) { $0 + $1.1.count }, cards: model.cards.count)
    }

    /// The cards as arrays under `fields`, with stages, statuses, models, providers and classes
    /// as indexes into their lists, image paths relative to `image_prefix` and `thumb` a flag (the
    /// page finds it at `thumbs/files/PATH.webp`): 10,000 cards with 80-character prompts come to
    /// about 1.5 MB.
    static func data(_ model: ReportModel, imagePrefix: String, thumbnails: ReportThumbnails.Made = .init()) -> JSONValue {
        var tables: [String: [String]] = ["stage": model.stages, "status": [], "model": [], "provider": [], "class": []]
        var indexes: [String: [String: Int]] = [:]
        for (name, values) in tables { indexes[name] = Dictionary(values.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
        func index(_ table: String, _ value: String?) -> JSONValue {
            guard let value else { return .null }
            if let i = indexes[table]?[value] { return .int(i) }
            let i = tables[table]!.count
            tables[table]!.append(value)
            indexes[table]![value] = i
            return .int(i)
        }
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func int(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }
        func image(_ path: String?) -> JSONValue { path.map { .string(encode($0)) } ?? .null }
        // The fields that are most often empty come last, and trailing empties are left out.
        let cards: [JSONValue] = model.cards.map { c in
            // A failed line names the path it would have written: there is no image to show.
            let made = c.status == "succeeded" || c.status == "cached" || c.change == "removed"
            let thumb: JSONValue = made && c.path.map(thumbnails.byPath.contains) == true ? .int(1) : .null
            var row: [JSONValue] = [index("stage", c.stage), .string(c.key), index("status", c.status), image(made ? c.path : nil), thumb, text(c.prompt),
                                    index("model", c.model), index("provider", c.provider), int(c.width), int(c.height),
                                    int(c.attempts), int(c.latencyMS), c.costUSD.map { .double(($0 * 10_000).rounded() / 10_000) } ?? .null,
                                    int(c.variant), c.matrix.isEmpty ? .null : .string(c.matrix.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")),
                                    index("class", c.failureClass), text(c.message), text(c.change), image(c.earlierPath), text(c.url),
                                    text(c.earlierSHA256.flatMap { thumbnails.bySHA[$0] })]
            while row.last == .null { row.removeLast() }
            return .array(row)
        }
        let s = model.summary
        let summary: JSONValue = .object([
            ("pipeline", .string(s.pipeline)), ("run", text(s.runID)),
            ("counts", .object(s.counts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("cost_usd", .double((s.costUSD * 10_000).rounded() / 10_000)), ("budget_usd", s.budgetUSD.map(JSONValue.double) ?? .null),
            ("seconds", s.seconds.map { .double(($0 * 10).rounded() / 10) } ?? .null),
            ("compared_with", text(s.comparedWith)),
            ("changes", .object(s.changes.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
        ])
        return .object([
            ("summary", summary),
            ("image_prefix", .string(imagePrefix)),
            ("fields", .array(["stage", "key", "status", "src", "thumb", "prompt", "model", "provider", "width", "height", "attempts",
                               "latency_ms", "cost_usd", "variant", "matrix", "class", "message", "change", "earlier_src", "url",
                               "earlier_thumb"].map(JSONValue.string))),
            ("stages", .array(tables["stage"]!.map(JSONValue.string))), ("statuses", .array(tables["status"]!.map(JSONValue.string))),
            ("models", .array(tables["model"]!.map(JSONValue.string))), ("providers", .array(tables["provider"]!.map(JSONValue.string))),
            ("classes", .array(tables["class"]!.map(JSONValue.string))),
            ("cards", .array(cards)),
        ])
    }

    /// Each path segment percent-encoded, so that `#`, `?` and spaces in file names stay file names.
    static func encode(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "#?%;")
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
    }

    /// The relative URL prefix from `from` to `to` (both folders): `../` for output_dir/report.
    static func relativePrefix(from: String, to: String) -> String {
        let a = URL(fileURLWithPath: from).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let b = URL(fileURLWithPath: to).standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < a.count, common < b.count, a[common] == b[common] { common += 1 }
        let up = Array(repeating: "..", count: a.count - common)
        let down = b[common...].map { encode($0) }
        let joined = (up + down).joined(separator: "/")
        return joined.isEmpty ? "" : joined + "/"
    }
}
