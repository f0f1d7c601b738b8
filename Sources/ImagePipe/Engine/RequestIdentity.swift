import Crypto

/// What makes a stage's request the same request across attempts and runs: the SHA-256 of its
/// stage, item and fingerprint. A batch line's custom id carries its first 24 hex digits.
struct RequestIdentity {
    let hash: [UInt8]

    init(stage: String, item: String, fingerprint: String) {
        hash = Array(SHA256.hash(data: Array((stage + "\u{0}" + item + "\u{0}" + fingerprint).utf8)))
    }

    /// The part a custom id carries.
    var prefix: String { Hex.string(hash.prefix(12)) }
}
