import Foundation
import Testing
@testable import ImagePipe
@testable import ImagePipeCore

/// Provenance written into PNG, JPEG and WebP files as they are (no re-encoding): exiftool reads
/// it back, Pillow decodes the same pixels as before, and writing twice leaves one packet.
@Suite struct XMPEmbeddingTests {
    static let hostilePrompt = "A \"mug\" <script>alert(1)</script> & tea\nsecond line \u{7} bell"

    static func packet() -> XMPPacket {
        XMPPacket(fields: [("pipeline", "catalog"), ("run", "7"), ("model", "gpt-image-1"), ("prompt", hostilePrompt), ("seed", "42")])
    }

    /// A PNG, a JPEG, a lossy WebP (VP8), a lossless one with alpha (VP8L) and an extended one (VP8X).
    static func samples(in dir: URL) async throws -> [String: URL] {
        let png = PlaceholderImage.png(prompt: "sample", width: 96, height: 64, label: ["A1"])
        var files: [String: URL] = [:]
        let pngURL = dir.appendingPathComponent("a.png")
        try Data(png).write(to: pngURL)
        files["png"] = pngURL
        try Libvips.start()
        for (name, format) in [("jpg", VipsPicture.SaveFormat.jpeg), ("webp", .webp)] {
            let url = dir.appendingPathComponent("a.\(name)")
            try Data(VipsPicture.decode(png).encode(format, quality: 80, strip: true)).write(to: url)
            files[name] = url
        }
        // The vips command line makes the other two WebP layouts.
        _ = try await ExternalTool.run(["vips", "bandjoin_const", pngURL.path, dir.appendingPathComponent("alpha.v").path, "128"])
        _ = try await ExternalTool.run(["vips", "webpsave", dir.appendingPathComponent("alpha.v").path, dir.appendingPathComponent("lossless.webp").path, "--lossless", "--strip"])
        files["vp8l"] = dir.appendingPathComponent("lossless.webp")
        let extended = dir.appendingPathComponent("extended.webp")
        _ = try await ExternalTool.run(["vips", "webpsave", dir.appendingPathComponent("alpha.v").path, extended.path, "--Q", "70", "--strip"])
        files["vp8x"] = extended
        return files
    }

    @Test func exiftoolReadsWhatIsWrittenAndThePixelsStayTheSame() async throws {
        let dir = Fixtures.temporaryDirectory()
        let samples = try await Self.samples(in: dir)
        let xml = Self.packet().xml
        var stamped: [String: String] = [:]
        for (name, url) in samples {
            let original = Array(try Data(contentsOf: url))
            let once = try XMPEmbedding.embed(xml, in: original)
            let twice = try XMPEmbedding.embed(xml, in: once)
            #expect(twice == once, "writing again replaces the packet (\(name))")
            #expect(XMPEmbedding.extract(from: once) == xml, "\(name)")
            #expect(XMPEmbedding.extract(from: original) == nil, "\(name)")
            // Our own inspector still accepts it, with the same size.
            #expect(try ImageInspector.inspect(once) == ImageInspector.inspect(original), "\(name)")
            let out = dir.appendingPathComponent("stamped-\(url.lastPathComponent)")
            try Data(once).write(to: out)
            stamped[name] = out.path
        }
        for (name, path) in stamped {
            let tags = try await ExternalTool.xmp(of: path)
            #expect(tags["XMP-iptcExt:DigitalSourceType"] == XMPPacket.trainedAlgorithmicMedia, "\(name): \(tags)")
            #expect(tags["XMP-imagepipe:Model"] == "gpt-image-1", "\(name)")
            #expect(tags["XMP-imagepipe:Seed"] == "42", "\(name)")
            // The control character is dropped (XML 1.0 cannot hold it); markup stays text.
            #expect(tags["XMP-imagepipe:Prompt"] == "A \"mug\" <script>alert(1)</script> & tea\nsecond line  bell", "\(name)")
        }
        let before = try await ExternalTool.decoded(samples.values.map(\.path))
        let after = try await ExternalTool.decoded(Array(stamped.values))
        for (name, url) in samples {
            let a = before[url.path], b = after[stamped[name]!]
            #expect(a?["error"] == nil && b?["error"] == nil, "\(name): \(String(describing: b))")
            #expect(a?["pixels"] as? String == b?["pixels"] as? String, "\(name): the pixels are untouched")
            #expect(a?["width"] as? Int == b?["width"] as? Int)
        }
    }

    @Test func formatsWithoutRoomForXMPAreRefusedNotBroken() {
        #expect(throws: XMPEmbedding.Problem.self) { try XMPEmbedding.embed("<x/>", in: Array("GIF89a.....".utf8)) }
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00]
        jpeg += [UInt8](repeating: 0, count: 8)
        #expect(throws: XMPEmbedding.Problem.self) { try XMPEmbedding.embed("<x/>", in: jpeg) }
    }

    /// A provider's signed Content Credentials (C2PA) cover the file's bytes: nothing is added.
    @Test func contentCredentialsAreNeverBroken() {
        let png = PlaceholderImage.png(prompt: "signed", width: 32, height: 32)
        var signed = Array(png[0..<33])  // signature and IHDR
        PNGEncoder.appendChunk("caBX", Array("jumbf c2pa manifest".utf8), to: &signed)
        signed += png[33...]
        #expect(XMPEmbedding.hasContentCredentials(signed))
        #expect(!XMPEmbedding.hasContentCredentials(png))
        let stamped = ProvenanceStamp.stamp(signed, with: Self.packet().xml)
        #expect(stamped.bytes == signed)
        #expect(stamped.warning?.contains("C2PA") == true)
        #expect(ProvenanceStamp.stamp(png, with: Self.packet().xml).warning == nil)
    }

    @Test func aBrokenExtendedWebPIsRefusedNotACrash() {
        var webp = Array("RIFF".utf8) + [12, 0, 0, 0] + Array("WEBP".utf8) + Array("VP8X".utf8) + [0, 0, 0, 0]
        webp += [UInt8](repeating: 0, count: 4)
        #expect(throws: XMPEmbedding.Problem.self) { try XMPEmbedding.embed("<x/>", in: webp) }
    }
}
