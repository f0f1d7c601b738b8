import Foundation

/// `run --junit FILE`: one JUnit `testcase` per (stage, item) for CI test reports. `classname` is
/// the stage, `name` the key (with variant and matrix values); failures carry their class and
/// message, items skipped below a failure (or cancelled) are `<skipped>`, cached items pass. Written
/// once the run ends, atomically; secrets masked like every other output.
public final class JUnitReport: @unchecked Sendable {
    private enum Result {
        case passed
        case failure(type: String, message: String)
        case skipped(String)
    }

    private struct Case {
        var stage: String
        var name: String
        var seconds: Double
        var result: Result
    }

    public let path: String
    private let secrets: SecretSet
    private let lock = NSLock()
    private var cases: [Case] = []

    public init(path: String, secrets: SecretSet) {
        self.path = path
        self.secrets = secrets
    }

    func add(_ outcome: ItemOutcome) {
        var name = outcome.key
        if let variant = outcome.variant, variant > 1 { name += " #\(variant)" }
        if !outcome.matrix.isEmpty { name += " " + outcome.matrix.map { "\($0.field)=\($0.value)" }.joined(separator: " ") }
        let result: Result
        switch outcome.status {
        case .succeeded, .cached: result = .passed
        case .failed: result = .failure(type: outcome.failureClass?.rawValue ?? "error", message: outcome.message ?? "")
        case .skipped, .cancelled, .submitted: result = .skipped(outcome.message ?? outcome.status.rawValue)
        }
        let c = Case(stage: outcome.stage, name: name, seconds: Double(outcome.latencyMS ?? 0) / 1000, result: result)
        lock.withLock { cases.append(c) }
    }

    /// The XML, stages in the order they first ended.
    func xml(pipeline: String, duration: Double) -> String {
        let all = lock.withLock { cases }
        var order: [String] = []
        var byStage: [String: [Case]] = [:]
        for c in all {
            if byStage[c.stage] == nil { order.append(c.stage) }
            byStage[c.stage, default: []].append(c)
        }
        func counts(_ list: [Case]) -> (failures: Int, skipped: Int) {
            var failures = 0, skipped = 0
            for c in list {
                switch c.result {
                case .failure: failures += 1
                case .skipped: skipped += 1
                case .passed: break
                }
            }
            return (failures, skipped)
        }
        let total = counts(all)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        // `testsuites` carries no `skipped` count: the common schemas (Jenkins xUnit's junit-10.xsd) allow
        // it on `testsuite` only.
        out += "<testsuites name=\"\(attr(pipeline))\" tests=\"\(all.count)\" failures=\"\(total.failures)\" errors=\"0\" time=\"\(seconds(duration))\">\n"
        for stage in order {
            let list = byStage[stage] ?? []
            let c = counts(list)
            let time = list.reduce(0) { $0 + $1.seconds }
            out += "  <testsuite name=\"\(attr(stage))\" tests=\"\(list.count)\" failures=\"\(c.failures)\" errors=\"0\" skipped=\"\(c.skipped)\" time=\"\(seconds(time))\">\n"
            for item in list {
                out += "    <testcase classname=\"\(attr(stage))\" name=\"\(attr(item.name))\" time=\"\(seconds(item.seconds))\""
                switch item.result {
                case .passed: out += "/>\n"
                case .failure(let type, let message):
                    out += ">\n      <failure type=\"\(attr(type))\" message=\"\(attr(message))\"/>\n    </testcase>\n"
                case .skipped(let message):
                    out += ">\n      <skipped message=\"\(attr(message))\"/>\n    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    private func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// An XML attribute value: escaped, secrets masked, and without the control characters XML 1.0 forbids.
    private func attr(_ text: String) -> String {
        var out = ""
        for scalar in secrets.redact(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

extension JUnitReport: RunEventConsumer {
    public func handle(_ event: RunEvent) async {
        switch event {
        case .finished(let outcome, _), .propagated(let outcome): add(outcome)
        case .ended(let info, let result, _):
            do {
                try AtomicFile.write(Array(xml(pipeline: info.pipeline, duration: result.duration).utf8), to: path)
            } catch {
                StandardStream.error.write("warning: cannot write the JUnit report \(path): \(error.description)\n")
            }
        default: break
        }
    }
}
