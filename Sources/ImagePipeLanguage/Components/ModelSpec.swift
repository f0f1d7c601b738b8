import Foundation
import ImagePipeCore

/// What one model of a provider accepts, as its API documents it: `validate` checks a stage's
/// settings against it, so that `size: 1000x1000` on gpt-image-1 is caught before 500 items
/// each fail with a 400. Declared by the provider kind, beside its prices.
public struct ModelSpec: Sendable {
    public enum Sizes: Sendable {
        /// The model takes any `size` the provider can map (Gemini turns it into the nearest ratio).
        case any
        /// Exactly these.
        case only([ImageSize])
        /// Any WIDTHxHEIGHT in multiples of `step`, within a ratio and a largest side.
        case free(step: Int, maxRatio: Double, maxWidth: Int, maxHeight: Int)
    }

    public var name: String
    public var aliases: [String]
    public var sizes: Sizes
    /// Nil when the model does not take `aspect_ratio` (nor map it).
    public var aspectRatios: [String]?
    /// Nil when the model has no resolution tiers.
    public var resolutions: [String]?
    /// Nil when the model has no `quality` setting.
    public var qualities: [String]?
    /// Whether `background` and `output_format` apply.
    public var takesFormatOptions: Bool
    public var edits: Bool
    /// Set when the provider cannot call the model at all, saying why.
    public var unsupported: String?

    public init(_ name: String, aliases: [String] = [], sizes: Sizes = .any, aspectRatios: [String]? = nil, resolutions: [String]? = nil,
                 qualities: [String]? = nil, takesFormatOptions: Bool = false, edits: Bool = true, unsupported: String? = nil) {
        self.name = name
        self.aliases = aliases
        self.sizes = sizes
        self.aspectRatios = aspectRatios
        self.resolutions = resolutions
        self.qualities = qualities
        self.takesFormatOptions = takesFormatOptions
        self.edits = edits
        self.unsupported = unsupported
    }

    public var names: [String] { [name] + aliases }

    /// Whether `size` is one this model makes; the nearest it does otherwise, for the hint.
    public func check(_ size: ImageSize) -> (ok: Bool, nearest: ImageSize?) {
        switch sizes {
        case .any:
            return (true, nil)
        case .only(let list):
            if list.contains(size) { return (true, nil) }
            let nearest = list.min { a, b in Self.distance(a, size) < Self.distance(b, size) }
            return (false, nearest)
        case .free(let step, let maxRatio, let maxWidth, let maxHeight):
            let ratio = Double(max(size.width, size.height)) / Double(min(size.width, size.height))
            let fits = size.width % step == 0 && size.height % step == 0 && ratio <= maxRatio
                && max(size.width, size.height) <= max(maxWidth, maxHeight) && min(size.width, size.height) <= min(maxWidth, maxHeight)
            if fits { return (true, nil) }
            func round(_ v: Int) -> Int { max(step, (v + step / 2) / step * step) }
            return (false, ImageSize(width: round(size.width), height: round(size.height)))
        }
    }

    private static func distance(_ a: ImageSize, _ b: ImageSize) -> Double {
        let ratio = abs(log(Double(a.width) / Double(a.height)) - log(Double(b.width) / Double(b.height)))
        let area = abs(log(Double(a.width * a.height) / Double(b.width * b.height)))
        return ratio * 4 + area
    }

    public var sizeList: String {
        switch sizes {
        case .any: return "any"
        case .only(let list): return list.map(\.description).joined(separator: ", ")
        case .free(let step, let maxRatio, let maxWidth, let maxHeight):
            return "WIDTHxHEIGHT in multiples of \(step), at most \(maxWidth)x\(maxHeight), no longer than \(Int(maxRatio)):1"
        }
    }
}
