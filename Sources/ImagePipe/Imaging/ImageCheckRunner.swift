import Foundation

/// One stage's `checks:` in a run: measures each image, says what failed, and keeps the
/// perceptual hashes of the images the stage kept so far, for `distinct` (of two near-duplicates
/// the one checked later fails). Shared by all the stage's units; the lock guards the hashes.
final class ImageCheckRunner: @unchecked Sendable {
    let checks: ImageChecks
    private let lock = NSLock()
    /// By output (a transform's named outputs are each compared only with their own kind).
    private var kept: [String: [(hash: UInt64, item: String)]] = [:]

    /// Nil for a stage without checks.
    init?(_ checks: ImageChecks) {
        guard !checks.isEmpty else { return nil }
        self.checks = checks
    }

    /// Checks one image and writes what was measured into the outcome; throws `check_failed` when
    /// a check failed (the image was made, so `cost` was spent).
    func vet(_ bytes: [UInt8], width: Int, height: Int, item: String, output: String? = nil, into outcome: inout ItemOutcome,
             cost: Double?) async throws(CallFailure) {
        let verdict = await check(bytes, width: width, height: height, item: item, output: output)
        outcome.checks = verdict.measured
        guard !verdict.failures.isEmpty else { return }
        outcome.costUSD = cost
        throw CallFailure(.check_failed, "check " + verdict.failures.joined(separator: "; check "))
    }

    struct Verdict {
        var measured: [(name: String, value: JSONValue)] = []
        var failures: [String] = []
    }

    /// Checks one image; `item` names it to later near-duplicates, `output` is a transform's output name.
    private func check(_ bytes: [UInt8], width: Int, height: Int, item: String, output: String? = nil) async -> Verdict {
        var verdict = Verdict()
        if let least = checks.minWidth {
            verdict.measured.append(("min_width", .int(width)))
            if width < least { verdict.failures.append("min_width: the image is \(width) px wide, at least \(least) needed") }
        }
        if let least = checks.minHeight {
            verdict.measured.append(("min_height", .int(height)))
            if height < least { verdict.failures.append("min_height: the image is \(height) px high, at least \(least) needed") }
        }
        if let asked = checks.aspectRatio, height > 0 {
            let ratio = Double(width) / Double(height)
            verdict.measured.append(("aspect_ratio", .double(Self.rounded(ratio, 4))))
            if abs(ratio - asked) > asked * checks.tolerance {
                verdict.failures.append("aspect_ratio: the image is \(width)x\(height) (\(Self.rounded(ratio, 3)):1), not \(checks.aspectRatioText ?? "") within \(JSONValue.format(checks.tolerance * 100))%")
            }
        }
        if let most = checks.maxBytes {
            verdict.measured.append(("max_bytes", .int(bytes.count)))
            if bytes.count > most { verdict.failures.append("max_bytes: the file is \(bytes.count) bytes, at most \(most) allowed") }
        }
        guard checks.needsPixels else { return verdict }
        let measure: PixelMeasure
        do {
            measure = try await Libvips.run { () throws(Libvips.Failure) in try PixelMeasure.measure(bytes) }
        } catch {
            verdict.failures.append("the image's pixels could not be measured: \(error.description)")
            return verdict
        }
        if let least = checks.notBlank {
            verdict.measured.append(("not_blank", .double(Self.rounded(measure.deviation, 2))))
            if measure.deviation < least {
                verdict.failures.append("not_blank: the image is near-uniform (luminance deviation \(JSONValue.format(Self.rounded(measure.deviation, 2))), at least \(JSONValue.format(least)) needed)")
            }
        }
        if let threshold = checks.distinct {
            // Measured, compared and kept under one lock: two near-duplicates finishing together
            // cannot both pass.
            let nearest: (distance: Int, item: String)? = lock.withLock {
                let nearest = kept[output ?? "", default: []].map { (PerceptualHash.distance($0.hash, measure.hash), $0.item) }.min { $0.0 < $1.0 }
                if verdict.failures.isEmpty, (nearest?.0 ?? 64) > threshold { kept[output ?? "", default: []].append((measure.hash, item)) }
                return nearest.map { (distance: $0.0, item: $0.1) }
            }
            verdict.measured.append(("distinct", .int(nearest?.distance ?? 64)))
            if let nearest, nearest.distance <= threshold {
                verdict.failures.append("distinct: a near-duplicate of item '\(nearest.item)' (perceptual hashes \(nearest.distance) bits apart, more than \(threshold) needed)")
            }
        }
        return verdict
    }

    /// An image kept in an earlier run (a cache hit, at `file`): with `distinct`, later images are
    /// compared with it too.
    func remember(file: String, item: String, output: String? = nil) {
        guard checks.distinct != nil, (try? Libvips.start()) != nil, let data = FileManager.default.contents(atPath: file),
              let measure = try? PixelMeasure.measure(Array(data)) else { return }
        lock.withLock { kept[output ?? "", default: []].append((measure.hash, item)) }
    }

    private static func rounded(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
