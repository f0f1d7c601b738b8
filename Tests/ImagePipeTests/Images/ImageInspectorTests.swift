import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct ImageInspectorTests {
    @Test func placeholderPNGIsValidAndDecodesWithZlib() async throws {
        let png = PlaceholderImage.png(prompt: "a red mug", width: 300, height: 200)
        #expect(try ImageInspector.inspect(png) == ImageInfo(format: .png, width: 300, height: 200))
        // An independent decoder: Python's zlib inflates the image data, and every pixel, filter
        // bytes stripped, is the one the placeholder drew.
        let dir = Fixtures.temporaryDirectory()
        let file = dir.appendingPathComponent("x.png")
        try Data(png).write(to: file)
        let script = """
        import struct, sys, zlib
        d = open(sys.argv[1], 'rb').read(); i = 8; idat = b''
        while i < len(d):
            n = struct.unpack('>I', d[i:i+4])[0]
            if d[i+4:i+8] == b'IDAT': idat += d[i+8:i+8+n]
            i += 12 + n
        raw = zlib.decompress(idat); row = 300 * 3 + 1
        assert all(raw[y * row] == 0 for y in range(200)), "filter type 0 on every row"
        sys.stdout.write(b''.join(raw[y * row + 1:(y + 1) * row] for y in range(200)).hex())
        """
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: await process.finish(reading: pipe)[0], as: UTF8.self)
        #expect(process.terminationStatus == 0)
        let expected = PlaceholderImage.pixels(prompt: "a red mug", width: 300, height: 200)
        #expect(out.count == expected.count * 2)
        #expect(out == Hex.string(expected), "the inflated pixels differ from the drawn ones")
    }

    @Test func samePromptSameBytesOtherPromptOtherBytes() {
        #expect(PlaceholderImage.png(prompt: "a", width: 64, height: 64) == PlaceholderImage.png(prompt: "a", width: 64, height: 64))
        #expect(PlaceholderImage.png(prompt: "a", width: 64, height: 64) != PlaceholderImage.png(prompt: "b", width: 64, height: 64))
    }

    @Test func truncatedOrCorruptPNGIsRefused() {
        let png = PlaceholderImage.png(prompt: "x", width: 32, height: 32)
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect(Array(png.dropLast(5))) }
        var flipped = png
        flipped[40] ^= 0xFF
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect(flipped) }
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect(Array("<html>502 Bad Gateway</html>".utf8)) }
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect([]) }
    }

    @Test func jpegSizeAndEnd() throws {
        // SOI, APP0 (short), SOF0 with height 480 and width 640, EOI.
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46]
        jpeg += [0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x01, 0x01, 0x11, 0x00]
        jpeg += [0xFF, 0xD9]
        #expect(try ImageInspector.inspect(jpeg) == ImageInfo(format: .jpeg, width: 640, height: 480))
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect(Array(jpeg.dropLast(2))) }
    }

    @Test func webpSizes() throws {
        func riff(_ chunk: [UInt8]) -> [UInt8] {
            let size = UInt32(4 + chunk.count)
            return Array("RIFF".utf8) + withUnsafeBytes(of: size.littleEndian, Array.init) + Array("WEBP".utf8) + chunk
        }
        // VP8L: signature 0x2F, then 14 bits width-1 and 14 bits height-1.
        let bits = UInt32(99) | UInt32(49) << 14
        let lossless = riff(Array("VP8L".utf8) + [5, 0, 0, 0, 0x2F] + withUnsafeBytes(of: bits.littleEndian, Array.init) + [0, 0, 0, 0, 0])
        #expect(try ImageInspector.inspect(lossless) == ImageInfo(format: .webp, width: 100, height: 50))
        // VP8X: canvas width-1 and height-1 in 24 bits each.
        let extended = riff(Array("VP8X".utf8) + [10, 0, 0, 0] + [0, 0, 0, 0] + [0x1F, 0x03, 0x00] + [0xDF, 0x01, 0x00] + [0, 0])
        #expect(try ImageInspector.inspect(extended) == ImageInfo(format: .webp, width: 800, height: 480))
        #expect(throws: ImageInspector.Problem.self) { try ImageInspector.inspect(Array(extended.dropLast(3))) }
    }
}
