import CVipsShim
import Foundation

/// What the checks measure in an image's pixels: how uniform its luminance is (a blank frame)
/// and its perceptual hash (near-duplicates). Both come from one 64×64 greyscale reduction, so an
/// image of any size costs one shrinking decode.
struct PixelMeasure: Sendable, Equatable {
    /// The standard deviation of the luminance, 0–255.
    var deviation: Double
    /// A 64-bit DCT perceptual hash: similar images differ in few bits.
    var hash: UInt64

    static let side = 64

    static func measure(_ bytes: [UInt8]) throws(Libvips.Failure) -> PixelMeasure {
        let small = try VipsPicture.made(bytes.withUnsafeBytes { ipv_thumbnail_buffer($0.baseAddress, $0.count, Int32(side), Int32(side), 3, -1) },
                                         "cannot decode the image")
        let grey = try VipsPicture.made(ipv_grey8(small.pointer), "cannot make a greyscale copy")
        let pixels = try grey.pixels()
        // libvips reads `bytes` in place until the pixels are made.
        withExtendedLifetime(bytes) {}
        guard pixels.count == side * side else { throw Libvips.Failure(description: "unexpected pixel layout (\(pixels.count) bytes)") }
        return PixelMeasure(deviation: deviation(pixels), hash: PerceptualHash.hash(side: side, luminance: pixels))
    }

    static func deviation(_ pixels: [UInt8]) -> Double {
        var sum = 0.0, squares = 0.0
        for p in pixels {
            let v = Double(p)
            sum += v
            squares += v * v
        }
        let n = Double(pixels.count)
        let mean = sum / n
        return (max(0, squares / n - mean * mean)).squareRoot()
    }
}

/// The DCT perceptual hash (pHash): the luminance reduced to 32×32, its 2-D DCT, and one bit per
/// coefficient of the lowest 8×8 frequencies: whether it is above their median. Resizing,
/// recompression and small edits move few bits; different pictures differ in about half.
enum PerceptualHash {
    static let size = 32

    /// `luminance` is `side`×`side` (a multiple of 32), row by row.
    static func hash(side: Int, luminance: [UInt8]) -> UInt64 {
        let step = side / size
        var grid = [Double](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                var sum = 0
                for dy in 0..<step { for dx in 0..<step { sum += Int(luminance[(y * step + dy) * side + x * step + dx]) } }
                grid[y * size + x] = Double(sum) / Double(step * step)
            }
        }
        let low = lowFrequencies(grid)
        var sorted = Array(low.dropFirst()).sorted()
        let median = (sorted[31] + sorted[32]) / 2
        sorted.removeAll()
        var hash: UInt64 = 0
        for (bit, value) in low.enumerated() where value > median { hash |= 1 << UInt64(bit) }
        return hash
    }

    static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    private static let cosines: [Double] = (0..<(8 * size)).map { index in
        let u = index / size, x = index % size
        return cos(Double((2 * x + 1) * u) * .pi / Double(2 * size))
    }

    /// The 8×8 lowest DCT-II coefficients of the 32×32 grid (the only ones the hash uses).
    private static func lowFrequencies(_ grid: [Double]) -> [Double] {
        var rows = [Double](repeating: 0, count: size * 8)  // [y][u]
        for y in 0..<size {
            for u in 0..<8 {
                var s = 0.0
                for x in 0..<size { s += grid[y * size + x] * cosines[u * size + x] }
                rows[y * 8 + u] = s
            }
        }
        var out = [Double](repeating: 0, count: 64)
        for v in 0..<8 {
            for u in 0..<8 {
                var s = 0.0
                for y in 0..<size { s += rows[y * 8 + u] * cosines[v * size + y] }
                out[v * 8 + u] = s
            }
        }
        return out
    }
}
