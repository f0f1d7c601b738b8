import Testing
@testable import ImagePipe

@Suite struct HashIndexTests {
    @Test func findsWhatItStoredAcrossGrowth() {
        var index = HashIndex(capacity: 4)
        for n in 0..<10_000 { #expect(index.insertOrFind(n * 7919, payload: n) == nil) }
        for n in 0..<10_000 { #expect(index.insertOrFind(n * 7919, payload: -1) == n) }
        #expect(index.count == 10_000)
    }

    @Test func zeroAndNegativeHashesAreKeys() {
        var index = HashIndex()
        #expect(index.insertOrFind(0, payload: 5) == nil)
        #expect(index.insertOrFind(0, payload: 6) == 5)
        #expect(index.insertOrFind(-42, payload: 7) == nil)
        #expect(index.insertOrFind(-42, payload: 8) == 7)
    }
}
