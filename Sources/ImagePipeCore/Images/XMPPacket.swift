/// An image's origin as an XMP packet: IPTC's digital source type for generated images and, in
/// imagepipe's own namespace, the model, provider, prompt (or its hash), seed, pipeline and run.
/// exiftool reads it back as `XMP-iptcExt:DigitalSourceType` and `XMP-imagepipe:*`.
public struct XMPPacket: Sendable, Equatable {
    public static let namespace = "https://imagepipe.dev/ns/provenance/1.0/"
    public static let trainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

    /// Ordered (name, value) pairs in the `imagepipe` namespace; empty values are left out.
    public var fields: [(name: String, value: String)]

    public init(fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public static func == (a: XMPPacket, b: XMPPacket) -> Bool {
        a.fields.elementsEqual(b.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The packet's XML, with the `xpacket` wrapper readers look for.
    public var xml: String {
        var body = ""
        for (name, value) in fields where !value.isEmpty {
            body += "   <imagepipe:\(name)>\(Self.escape(value))</imagepipe:\(name)>\n"
        }
        return """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/">
         <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description rdf:about=""
            xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
            xmlns:imagepipe="\(Self.namespace)">
           <Iptc4xmpExt:DigitalSourceType>\(Self.trainedAlgorithmicMedia)</Iptc4xmpExt:DigitalSourceType>
        \(body)  </rdf:Description>
         </rdf:RDF>
        </x:xmpmeta>
        <?xpacket end="w"?>
        """
    }

    /// Text as XML character data: `&`, `<`, `>` and quotes escaped; control characters that XML
    /// 1.0 cannot hold dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
