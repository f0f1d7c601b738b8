import ImagePipeCore
/// `WIDTHxHEIGHT` in pixels.
public struct ImageSize: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...16384).contains(w), (1...16384).contains(h),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) }) else { return nil }
        self.init(width: w, height: h)
    }

    public var description: String { "\(width)x\(height)" }
}

/// `W:H`, e.g. `16:9`.
public struct AspectRatio: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...100).contains(w), (1...100).contains(h) else { return nil }
        width = w
        height = h
    }

    public var description: String { "\(width):\(height)" }
}
