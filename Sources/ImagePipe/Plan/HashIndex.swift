/// A set of 64-bit hashes, each with a small payload (where it was first seen), in one flat
/// array of (hash, payload) slots with linear probing. The plan keeps one per source for keys and
/// one for output paths: a million entries take 32 MB, and a lookup touches one cache line,
/// where a `Dictionary<Int, Int>` would hash the hash again and touch two.
struct HashIndex {
    /// Slot `n` is `slots[2n]` (the hash; 0 when empty) and `slots[2n + 1]` (the payload).
    private var slots: [Int]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 10) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int](repeating: 0, count: size * 2)
        mask = size - 1
    }

    /// The payload stored for `hash`, or stores `payload` and returns nil when `hash` is new.
    /// Hashes 0 and 1 are one key, since 0 marks an empty slot: a 2⁻⁶⁴ chance per pair.
    mutating func insertOrFind(_ hash: Int, payload: Int) -> Int? {
        let key = hash == 0 ? 1 : hash
        let found: Int? = slots.withUnsafeMutableBufferPointer { slots in
            var slot = Int(UInt(bitPattern: key) & UInt(mask))
            while true {
                let existing = slots[2 * slot]
                if existing == 0 { break }
                if existing == key { return slots[2 * slot + 1] }
                slot = (slot + 1) & mask
            }
            slots[2 * slot] = key
            slots[2 * slot + 1] = payload
            return nil
        }
        if found != nil { return found }
        count += 1
        if count * 2 > mask + 1 { grow() }
        return nil
    }

    private mutating func grow() {
        let old = slots
        slots = [Int](repeating: 0, count: old.count * 2)
        mask = old.count - 1
        for slot in stride(from: 0, to: old.count, by: 2) where old[slot] != 0 {
            var target = Int(UInt(bitPattern: old[slot]) & UInt(mask))
            while slots[2 * target] != 0 { target = (target + 1) & mask }
            slots[2 * target] = old[slot]
            slots[2 * target + 1] = old[slot + 1]
        }
    }
}
