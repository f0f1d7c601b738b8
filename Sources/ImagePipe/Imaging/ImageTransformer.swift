import CVipsShim

/// Runs a transform recipe on libvips: crop, resize (shrinking while decoding where the format
/// allows), flatten, encode. Blocking: call it through `Libvips.run`.
enum ImageTransformer {
    struct Result: Sendable {
        var bytes: [UInt8]
        var width: Int
        var height: Int
        var format: TransformSpec.Format
    }

    /// libvips' largest coordinate: "any height" when only a width is given.
    private static let unbounded: Int32 = 10_000_000

    /// `provenance`: an XMP packet for formats whose metadata libvips writes itself (AVIF); the
    /// others get it from `XMPEmbedding` after encoding.
    static func apply(_ recipe: TransformRecipe, to input: [UInt8], provenance: String? = nil) throws(Libvips.Failure) -> Result {
        guard let inputFormat = ImageFormatSniffer.format(of: Array(input.prefix(12))) else {
            throw Libvips.Failure(description: "the input is not a PNG, JPEG, WebP or AVIF image")
        }
        let format = recipe.format ?? inputFormat
        var image: VipsPicture?
        if let crop = recipe.crop {
            let whole = try VipsPicture.decode(input)
            guard crop.left + crop.width <= whole.width, crop.top + crop.height <= whole.height else {
                throw Libvips.Failure(description: "crop \(crop.width)x\(crop.height) at (\(crop.left), \(crop.top)) does not fit the \(whole.width)x\(whole.height) input")
            }
            image = try VipsPicture.made(ipv_extract_area(whole.pointer, Int32(crop.left), Int32(crop.top), Int32(crop.width), Int32(crop.height)), "cannot crop")
        }
        if let resize = recipe.resize {
            let width = resize.width.map(Int32.init) ?? unbounded
            let height = resize.height.map(Int32.init) ?? unbounded
            let both = resize.width != nil && resize.height != nil
            if resize.fit == .fill, both {
                let source: VipsPicture
                if let image { source = image } else { source = try VipsPicture.decode(input) }
                image = try VipsPicture.made(ipv_resize_exact(source.pointer, width, height), "cannot resize")
            } else {
                let crop: Int32 = resize.fit == .cover && both ? interesting(resize.position) : -1
                if let source = image {
                    image = try VipsPicture.made(ipv_thumbnail_image(source.pointer, width, height, 0, crop), "cannot resize")
                } else {
                    image = try VipsPicture.made(input.withUnsafeBytes { ipv_thumbnail_buffer($0.baseAddress, $0.count, width, height, 0, crop) },
                                                 "cannot decode and resize the image")
                }
                if resize.fit == .contain, both, let fitted = image {
                    let b = recipe.background
                    image = try VipsPicture.made(ipv_embed_centre(fitted.pointer, width, height, b.r, b.g, b.b), "cannot pad to \(width)x\(height)")
                }
            }
        }
        var result: VipsPicture
        if let image { result = image } else { result = try VipsPicture.decode(input) }
        result = try VipsPicture.made(ipv_srgb8(result.pointer), "cannot convert to 8-bit sRGB")
        if result.hasAlpha, format == .jpeg || recipe.flattens {
            let b = recipe.background
            result = try VipsPicture.made(ipv_flatten(result.pointer, b.r, b.g, b.b), "cannot flatten the alpha channel")
        }
        // imagepipe writes the provenance itself, once: into the encoded PNG, JPEG or WebP, and
        // through libvips for AVIF (an item in the HEIF container).
        ipv_remove_metadata(result.pointer, "xmp-data")
        if format == .avif, let provenance {
            let packet = Array(provenance.utf8)
            packet.withUnsafeBytes { ipv_set_blob(result.pointer, "xmp-data", $0.baseAddress, $0.count) }
        }
        let bytes = try result.encode(saveFormat(format), quality: recipe.quality, strip: recipe.strip)
        // libvips reads `input` in place, lazily, until the encode above: it must live that long.
        withExtendedLifetime(input) {}
        return Result(bytes: bytes, width: result.width, height: result.height, format: format)
    }

    private static func interesting(_ position: TransformSpec.Position) -> Int32 {
        switch position {
        case .centre, .center: return Int32(VIPS_INTERESTING_CENTRE.rawValue)
        case .attention: return Int32(VIPS_INTERESTING_ATTENTION.rawValue)
        case .entropy: return Int32(VIPS_INTERESTING_ENTROPY.rawValue)
        case .low: return Int32(VIPS_INTERESTING_LOW.rawValue)
        case .high: return Int32(VIPS_INTERESTING_HIGH.rawValue)
        }
    }

    private static func saveFormat(_ format: TransformSpec.Format) -> VipsPicture.SaveFormat {
        switch format {
        case .png: return .png
        case .jpeg: return .jpeg
        case .webp: return .webp
        case .avif: return .avif
        }
    }
}
