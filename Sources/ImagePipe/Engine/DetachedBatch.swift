import Foundation

/// A batch's detached units, as the engine takes them back: each found by its item (the
/// roster's index into the batch's members file) as its row is read again, marked taken in a
/// bit per member, and those never taken handed over at the end.
final class DetachedBatch: @unchecked Sendable {
    let chunk: String
    /// How many members wait detached.
    let count: Int
    /// How many of them hold a budget reservation.
    let reserved: Int
    /// Why the members file could not be read: no member can be found or handed over, and the
    /// batch is not sent.
    let unreadable: CallFailure?
    private let roster: BatchRoster
    private let membersPath: String
    private let lock = NSLock()
    private var taken: [UInt64] = []
    private var reservedHandedOut = 0
    /// The members file, open while units are taken back (one after another, each a read at its place).
    private var reader: FileHandle?
    /// The members by item, when the roster could not index them (a full disk): one batch's, in memory.
    private var inMemory: [String: (number: Int, member: DetachedMember)]?

    /// Indexes the detached members of `members` in `roster` under `chunk` (a batch's chunk, or the
    /// id of an earlier run's batch); failing that, reads them into memory.
    init(roster: BatchRoster, chunk: String, members: BatchMembersFile) {
        self.roster = roster
        self.chunk = chunk
        membersPath = members.path
        count = members.detached
        reserved = members.reserved
        var unreadable: CallFailure?
        do {
            try roster.index(chunk: chunk, members: membersPath)
        } catch {
            var members: [String: (number: Int, member: DetachedMember)] = [:]
            var number = 0
            do {
                try BatchMembersFile.members(at: membersPath, origin: roster.origin) { member, _, _ in
                    defer { number += 1 }
                    if let detached = member.detached { members[member.place.item] = (number, detached) }
                }
                inMemory = members
            } catch let reading {
                unreadable = BatchMembersFile.unreadable(membersPath, reading,
                                                         fault: Ledger.localFault(error, place: (membersPath as NSString).deletingLastPathComponent))
            }
        }
        self.unreadable = unreadable
    }

    /// The member for `item`, once; nil when it has none, or it was taken.
    func take(item: String) -> DetachedMember? {
        guard unreadable == nil else { return nil }
        let found: DetachedMember?
        if let inMemory {
            guard let entry = inMemory[item], mark(entry.number) else { return nil }
            found = entry.member
        } else {
            guard let entry = roster.find(chunk: chunk, item: item), mark(entry.number) else { return nil }
            let line: Data? = lock.withLock {
                if reader == nil { reader = FileHandle(forReadingAtPath: membersPath) }
                guard let reader, (try? reader.seek(toOffset: entry.offset)) != nil else { return nil }
                return try? reader.read(upToCount: entry.length)
            }
            guard let member = line.flatMap({ BatchMember(line: $0, origin: roster.origin) }), member.place.item == item, let detached = member.detached else {
                // Not read after all: left for the end, when the rest are handed over.
                unmark(entry.number)
                return nil
            }
            found = detached
        }
        if found?.reserved == true { lock.withLock { reservedHandedOut += 1 } }
        return found
    }

    /// The reservations of members never handed over (their file could not be read): the caller
    /// gives them back, or the budget would stay held by lines no unit will ever settle.
    var reservationsLeft: Int { lock.withLock { max(0, reserved - reservedHandedOut) } }

    private func mark(_ number: Int) -> Bool {
        lock.withLock {
            let word = number / 64, bit = UInt64(1) << UInt64(number % 64)
            if taken.count <= word { taken += Array(repeating: 0, count: word + 1 - taken.count) }
            guard taken[word] & bit == 0 else { return false }
            taken[word] |= bit
            return true
        }
    }

    private func unmark(_ number: Int) {
        lock.withLock { taken[number / 64] &= ~(UInt64(1) << UInt64(number % 64)) }
    }

    private func isTaken(_ number: Int) -> Bool {
        lock.withLock { number / 64 < taken.count && taken[number / 64] & (UInt64(1) << UInt64(number % 64)) != 0 }
    }

    /// Hands over the detached members never taken (their rows are gone from the source), then
    /// forgets the batch; how many it handed over.
    @discardableResult
    func rest(_ body: (DetachedMember) -> Void) -> Int {
        var told = 0
        var number = 0
        try? BatchMembersFile.members(at: membersPath, origin: roster.origin) { member, _, _ in
            defer { number += 1 }
            guard let detached = member.detached, !isTaken(number) else { return }
            if detached.reserved { lock.withLock { reservedHandedOut += 1 } }
            body(detached)
            told += 1
        }
        forget()
        return told
    }

    func forget() {
        lock.withLock {
            try? reader?.close()
            reader = nil
            inMemory = nil
        }
        roster.drop(chunk: chunk)
        try? FileManager.default.removeItem(atPath: membersPath)
    }
}
