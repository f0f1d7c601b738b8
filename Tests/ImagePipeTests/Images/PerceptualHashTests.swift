import Testing
@testable import ImagePipe
@testable import ImagePipeCore

/// The measurements behind `not_blank` and `distinct` on crafted images.
@Suite struct PerceptualHashTests {
    @Test func blankNoiseAndNearDuplicatesMeasureAsTheyShould() throws {
        try Libvips.start()
        let flat = try PixelMeasure.measure(CraftedImage.uniform(grey: 128))
        let noise = try PixelMeasure.measure(CraftedImage.noise(seed: 1))
        let touched = try PixelMeasure.measure(CraftedImage.noise(seed: 1, touched: 40))
        let other = try PixelMeasure.measure(CraftedImage.noise(seed: 2))
        let smaller = try PixelMeasure.measure(CraftedImage.noise(seed: 1, side: 160))
        #expect(flat.deviation < 0.5)
        #expect(noise.deviation > 20)
        #expect(PerceptualHash.distance(noise.hash, touched.hash) <= 4, "a few pixels changed: the same picture")
        #expect(PerceptualHash.distance(noise.hash, smaller.hash) <= 6, "resized: the same picture")
        #expect(PerceptualHash.distance(noise.hash, other.hash) >= 16, "another picture: about half the bits differ")
    }
}

/// Images made for tests: a flat grey, and smooth noise (blobs, so that it survives the
/// reduction to 32×32 the hash works on), optionally with pixels changed.
enum CraftedImage {
    static func uniform(grey: UInt8, side: Int = 256) -> [UInt8] {
        PNGEncoder.encode(width: side, height: side, rgb: [UInt8](repeating: grey, count: side * side * 3))
    }

    static func noise(seed: UInt64, side: Int = 256, touched: Int = 0) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let cells = 8
        var grid = [Double](repeating: 0, count: cells * cells)
        for i in grid.indices { grid[i] = Double(next() % 256) }
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                let v = UInt8(grid[(y * cells / side) * cells + x * cells / side])
                let i = (y * side + x) * 3
                rgb[i] = v
                rgb[i + 1] = v / 2 &+ 40
                rgb[i + 2] = 255 - v
            }
        }
        for _ in 0..<touched {
            let i = Int(next() % UInt64(side * side)) * 3
            rgb[i] = 255
            rgb[i + 1] = 255
            rgb[i + 2] = 255
        }
        return PNGEncoder.encode(width: side, height: side, rgb: rgb)
    }
}
