import Foundation

/// The filters a template may apply: `{{ name | slug }}`, `{{ color | default("black") }}`.
/// `raw` changes no text: it marks a value that may carry a URL's structure (see `ValueEncoding`).
public enum TemplateFilter: String, Sendable, CaseIterable {
    case lower, upper, trim, slug
    case `default`
    case raw

    package var takesArgument: Bool { self == .default }

    /// `default` applies when the field is missing, null or empty; the others transform text.
    package func apply(_ value: String?, argument: String?) -> String? {
        switch self {
        case .default:
            if let value, !value.isEmpty { return value }
            return argument ?? ""
        case .lower: return value.map(Self.lower)
        case .upper: return value?.uppercased()
        case .trim: return value?.trimmingCharacters(in: .whitespacesAndNewlines)
        case .slug: return value.map(Self.slug)
        case .raw: return value
        }
    }

    /// ASCII text without the general Unicode case mapping (most catalogue values).
    package static func lower(_ text: String) -> String {
        var ascii = true
        var hasUpper = false
        for byte in text.utf8 {
            if byte >= 0x80 { ascii = false; break }
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { hasUpper = true }
        }
        guard ascii else { return text.lowercased() }
        guard hasUpper else { return text }
        return String(unsafeUninitializedCapacity: text.utf8.count) { buffer in
            var n = 0
            for byte in text.utf8 {
                buffer[n] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                n += 1
            }
            return n
        }
    }

    /// Lower-case letters and digits joined by single dashes: "Café Noir (XL)" → "cafe-noir-xl",
    /// "가죽 지갑" → "가죽-지갑", "ガラスの花瓶" → "ガラスの花瓶". Latin letters lose their accents (as
    /// they always have, so existing paths stay); letters and digits of other scripts are kept
    /// after NFKC, like Django's `slugify(allow_unicode=True)`.
    package static func slug(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiSlug(text) }
        // Folding diacritics is costly (a locale per call), so only text with non-ASCII pays for it.
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        if folded.utf8.allSatisfy({ $0 < 0x80 }) { return asciiSlug(folded) }
        return unicodeSlug(text)
    }

    private static func asciiSlug(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingDash = false
        for byte in text.utf8 {
            let lower = byte | 0x20
            let isLetter = lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if isLetter || isDigit {
                if pendingDash, !out.isEmpty { out.append(UInt8(ascii: "-")) }
                pendingDash = false
                out.append(isLetter ? lower : byte)
            } else {
                pendingDash = true
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// NFKC, lower-cased; accents dropped from ASCII letters only (ガ keeps its dakuten).
    private static func unicodeSlug(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingDash = false
        var afterASCIILetter = false
        for scalar in text.precomposedStringWithCompatibilityMapping.decomposedStringWithCanonicalMapping.unicodeScalars {
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark:
                // A mark belongs to the letter before it: dropped from Latin, kept elsewhere.
                if !afterASCIILetter, !pendingDash, !out.isEmpty { out.append(scalar) }
                continue
            default:
                break
            }
            if properties.isAlphabetic || properties.generalCategory == .decimalNumber {
                if pendingDash, !out.isEmpty { out.append("-") }
                pendingDash = false
                out.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
                afterASCIILetter = scalar.isASCII
            } else {
                pendingDash = true
                afterASCIILetter = false
            }
        }
        return String(out).precomposedStringWithCanonicalMapping
    }
}
