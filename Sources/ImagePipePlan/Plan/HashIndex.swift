import ImagePipeCore
import ImagePipeLanguage
/// A set of 64-bit hashes, each with a 32-bit payload (the line where it was first seen), in two
/// flat arrays with linear probing. The plan keeps one per source for keys and one for output
/// paths; a million entries take 24 MB and a lookup hashes nothing again, where a
/// `Dictionary<Int, Int>` would take 32 MB and hash the hash a second time.
package struct HashIndex {
    private var hashes: [UInt64]
    private var payloads: [UInt32]
    private var mask: Int
    /// The bits of a hash that identify it; the rest may carry a tag (see `tagged`).
    private let identity: UInt64
    private(set) var count = 0
    /// Slots come from the hash above its low bits, so tagged copies of a hash probe alike.
    private static let slotShift = 11

    /// - Parameter tagBits: low bits of each hash that carry a tag rather than identity.
    package init(capacity: Int = 1 << 10, tagBits: Int = 0) {
        precondition(tagBits <= Self.slotShift, "slots are chosen from the bits above the tag")
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        payloads = [UInt32](repeating: 0, count: size)
        mask = size - 1
        identity = ~((1 << UInt64(tagBits)) - 1)
    }

    /// A hash whose low `bits` carry `tag` (clamped to the largest tag those bits hold).
    package static func tagged(_ hash: Int, tag: Int, bits: Int) -> UInt64 {
        let limit = (1 << bits) - 1
        return UInt64(bitPattern: Int64(hash)) & ~UInt64(limit) | UInt64(min(tag, limit))
    }

    /// The stored hash (with its tag) and payload for `hash`, or nil after storing `payload`
    /// when `hash` is new. A hash of 0 is stored as 1 (0 marks an empty slot).
    package mutating func insertOrFind(_ hash: UInt64, payload: Int) -> (hash: UInt64, payload: Int)? {
        let key = hash == 0 ? 1 : hash
        var slot = Int(truncatingIfNeeded: key >> Self.slotShift) & mask
        while true {
            let existing = hashes[slot]
            if existing == 0 { break }
            if existing & identity == key & identity { return (existing, Int(payloads[slot])) }
            slot = (slot + 1) & mask
        }
        hashes[slot] = key
        payloads[slot] = UInt32(clamping: payload)
        count += 1
        if count * 2 > mask + 1 { grow() }
        return nil
    }

    private mutating func grow() {
        let oldHashes = hashes, oldPayloads = payloads
        hashes = [UInt64](repeating: 0, count: oldHashes.count * 2)
        payloads = [UInt32](repeating: 0, count: oldHashes.count * 2)
        mask = hashes.count - 1
        for (slot, key) in oldHashes.enumerated() where key != 0 {
            var target = Int(truncatingIfNeeded: key >> Self.slotShift) & mask
            while hashes[target] != 0 { target = (target + 1) & mask }
            hashes[target] = key
            payloads[target] = oldPayloads[slot]
        }
    }
}
