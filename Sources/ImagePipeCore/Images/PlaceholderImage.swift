/// A deterministic test picture for a prompt: two colours and a pattern chosen by the prompt's
/// hash, in flat cells so that it compresses to a few KiB at any size. Same prompt and size,
/// same bytes.
public enum PlaceholderImage {
    /// `label`: lines drawn on the picture (the item's key, its stage and variant, the prompt's
    /// start), so that a wrong wiring shows in an image viewer.
    public static func png(prompt: String, width: Int, height: Int, label: [String] = []) -> [UInt8] {
        var rgb = pixels(prompt: prompt, width: width, height: height)
        if !label.isEmpty { PixelFont.draw(label, into: &rgb, width: width, height: height) }
        return PNGEncoder.encode(width: width, height: height, rgb: rgb)
    }

    package static func pixels(prompt: String, width: Int, height: Int) -> [UInt8] {
        let h = fnv1a(prompt)
        let a = color(h)
        let b = color(h >> 24)
        let pattern = Int(h >> 48) % 4
        let cell = max(8, min(width, height) / 8)
        // Eight shades between the two colours; every pixel is one of them.
        let shades: [(UInt8, UInt8, UInt8)] = (0..<8).map { step in
            let t = step * 255 / 7
            return (mix(a.0, b.0, t), mix(a.1, b.1, t), mix(a.2, b.2, t))
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let rowLength = width * 3
        rgb.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let start = y * rowLength
                if y % cell != 0 {
                    // Rows repeat within a band of cells: copy the band's first row.
                    let previous = start - rowLength
                    for i in 0..<rowLength { out[start + i] = out[previous + i] }
                    continue
                }
                let cy = y / cell
                for x in 0..<width {
                    let cx = x / cell
                    let step: Int
                    switch pattern {
                    case 0: step = (cx + cy) % 8                  // diagonal bands
                    case 1: step = (cx ^ cy) % 8                  // woven
                    case 2: step = (cx + cy) % 2 == 0 ? 0 : 7     // checks
                    default: step = cy % 8                        // stripes
                    }
                    let shade = shades[step]
                    out[start + x * 3] = shade.0
                    out[start + x * 3 + 1] = shade.1
                    out[start + x * 3 + 2] = shade.2
                }
            }
        }
        return rgb
    }

    /// FNV-1a, 64 bits: the placeholder's (and the emulator's) choice of picture for a prompt.
    public static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    private static func color(_ h: UInt64) -> (Int, Int, Int) {
        (Int(h & 0xFF), Int(h >> 8 & 0xFF), Int(h >> 16 & 0xFF))
    }

    private static func mix(_ a: Int, _ b: Int, _ t: Int) -> UInt8 {
        UInt8((a * (255 - t) + b * t) / 255)
    }
}
