import Testing
@testable import ImagePipe
@testable import ImagePipeCore
@testable import ImagePipeLanguage
@testable import ImagePipePlan

@Suite struct HashIndexTests {
    @Test func findsWhatItStoredAcrossGrowth() {
        var index = HashIndex(capacity: 4)
        for n in 0..<10_000 { #expect(index.insertOrFind(UInt64(n) &* 0x9E37_79B9_7F4A_7C15, payload: n) == nil) }
        for n in 0..<10_000 { #expect(index.insertOrFind(UInt64(n) &* 0x9E37_79B9_7F4A_7C15, payload: -1)?.payload == n) }
        #expect(index.count == 10_000)
    }

    @Test func tagsAreIgnoredForIdentityAndReturned() {
        var index = HashIndex(tagBits: 8)
        let a = HashIndex.tagged(0x1234_5678_9ABC_DE00, tag: 3, bits: 8)
        let b = HashIndex.tagged(0x1234_5678_9ABC_DE00, tag: 7, bits: 8)
        #expect(index.insertOrFind(a, payload: 10) == nil)
        let found = index.insertOrFind(b, payload: 11)
        #expect(found?.payload == 10)
        #expect(found.map { $0.hash & 0xFF } == 3)
        #expect(HashIndex.tagged(-1, tag: 900, bits: 8) & 0xFF == 255)
    }

    @Test func zeroHashIsAKey() {
        var index = HashIndex()
        #expect(index.insertOrFind(0, payload: 5) == nil)
        #expect(index.insertOrFind(0, payload: 6)?.payload == 5)
    }
}
