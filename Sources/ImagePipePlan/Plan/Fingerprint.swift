import ImagePipeCore
import ImagePipeLanguage
import Crypto

/// What determines a (stage, item)'s output, hashed: two items with the same fingerprint would
/// get the same answer, so a success recorded under it need not be paid for again. The API key
/// is never part of it (a new key must not redo the work), nor is the output path (a moved output
/// is copied, not regenerated).
///
/// An image stage's fingerprint covers: the stage kind, the provider kind and its base URL (or a
/// command provider's argv), the model, the rendered prompt and negative prompt, size, aspect
/// ratio, resolution, seed, quality, background, output format, the variant number, the matrix
/// values, and for `edit` the input image's SHA-256.
public enum Fingerprint {
    /// Bumped when what goes in changes, so that old ledgers are not misread.
    package static let version = "imagepipe-fingerprint-1"

    /// Each field length-prefixed, so that no two lists of fields encode alike.
    package static func hash(_ fields: [String]) -> String {
        var hasher = SHA256()
        for field in fields { add(field, to: &hasher) }
        return Hex.string(hasher.finalize())
    }

    /// One field as `hash` encodes it: its UTF-8 length in decimal, `:`, its bytes. Fields that
    /// are the same for every unit of a stage can be hashed once and the hasher copied.
    package static func add(_ field: String, to hasher: inout SHA256) {
        var field = field
        field.withUTF8 { bytes in
            hasher.update(data: Array(String(bytes.count).utf8) + [0x3A])
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        }
    }

    /// The ledger's name for one unit of a stage: the item's key, `#N` for variants past the
    /// first, and the matrix values.
    public static func itemID(key: String, variant: Int, matrix: [(field: String, value: String)]) -> String {
        var id = key
        if variant > 1 { id += "#\(variant)" }
        for (field, value) in matrix { id += " \(field)=\(value)" }
        return id
    }
}
