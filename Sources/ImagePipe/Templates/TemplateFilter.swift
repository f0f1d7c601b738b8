import Foundation

/// The filters a template may apply: `{{ name | slug }}`, `{{ color | default("black") }}`.
public enum TemplateFilter: String, Sendable, CaseIterable {
    case lower, upper, trim, slug
    case `default`

    var takesArgument: Bool { self == .default }

    /// `default` applies when the field is missing, null or empty; the others transform text.
    func apply(_ value: String?, argument: String?) -> String? {
        switch self {
        case .default:
            if let value, !value.isEmpty { return value }
            return argument ?? ""
        case .lower: return value?.lowercased()
        case .upper: return value?.uppercased()
        case .trim: return value?.trimmingCharacters(in: .whitespacesAndNewlines)
        case .slug: return value.map(Self.slug)
        }
    }

    /// Lower-case ASCII letters and digits joined by single dashes: "Café Noir (XL)" → "cafe-noir-xl".
    static func slug(_ text: String) -> String {
        // Folding diacritics is costly (a locale per call); most keys are ASCII already.
        let folded = text.utf8.allSatisfy({ $0 < 0x80 }) ? text : text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        var out: [UInt8] = []
        out.reserveCapacity(folded.utf8.count)
        var pendingDash = false
        for byte in folded.utf8 {
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
}
