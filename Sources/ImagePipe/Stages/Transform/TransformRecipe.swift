/// One output's operations with every default settled: what libvips is asked to do, what the
/// fingerprint hashes, and what `plan` shows.
struct TransformRecipe: Sendable, Equatable {
    var crop: TransformSpec.Crop?
    var resize: TransformSpec.Resize?
    /// Nil: the input's format.
    var format: TransformSpec.Format?
    var quality: Int
    var strip: Bool
    var background: (r: Double, g: Double, b: Double)
    /// A `background` was asked for: alpha is flattened onto it in every format, not only JPEG.
    var flattens: Bool

    static func == (a: TransformRecipe, b: TransformRecipe) -> Bool { a.description == b.description }

    init(_ operations: TransformSpec.Operations, outputPath: String?) {
        crop = operations.crop
        resize = operations.resize
        format = operations.format ?? outputPath.flatMap(TransformSpec.Format.from(extension:))
        quality = operations.quality ?? TransformSpec.defaultQuality
        strip = operations.strip ?? false
        background = Self.colour(operations.background ?? TransformSpec.defaultBackground)
        flattens = operations.background != nil
    }

    static func colour(_ hex: String) -> (r: Double, g: Double, b: Double) {
        let digits = hex.dropFirst()
        guard digits.count == 6, let value = Int(digits, radix: 16) else { return (255, 255, 255) }
        return (Double(value >> 16 & 0xFF), Double(value >> 8 & 0xFF), Double(value & 0xFF))
    }

    /// The size the result will have when it is known without the input (`cover`/`contain`/`fill` with both sides).
    var knownSize: (width: Int, height: Int)? {
        guard let resize, let w = resize.width, let h = resize.height, resize.fit != .inside else { return nil }
        return (w, h)
    }

    /// Canonical text: fingerprinted, and shown by `plan`.
    var description: String {
        var parts: [String] = []
        if let crop { parts.append("crop \(crop.width)x\(crop.height)+\(crop.left)+\(crop.top)") }
        if let resize {
            let size = "\(resize.width.map { "\($0)" } ?? "auto")x\(resize.height.map { "\($0)" } ?? "auto")"
            var text = "resize \(size) \(resize.fit.rawValue)"
            if resize.fit == .cover, resize.width != nil, resize.height != nil {
                text += " " + (resize.position == .center ? "centre" : resize.position.rawValue)
            }
            parts.append(text)
        }
        let formatText = format?.rawValue ?? "same format"
        // The quality applies to every format but PNG, the input's format included.
        parts.append(format == .png ? formatText : "\(formatText) q\(quality)")
        if strip { parts.append("strip") }
        let b = background
        if flattens || b.r != 255 || b.g != 255 || b.b != 255 {
            parts.append("background #" + [b.r, b.g, b.b].map { Self.hexByte(Int($0)) }.joined())
        }
        return parts.joined(separator: ", ")
    }

    private static func hexByte(_ value: Int) -> String {
        let hex = String(value, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }
}
