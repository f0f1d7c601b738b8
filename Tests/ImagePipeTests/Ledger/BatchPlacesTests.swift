import Testing
@testable import ImagePipe

/// The places of an earlier run's batch items, kept small for a run that collects them: every
/// place comes back as it was recorded, whatever form its custom id has.
@Suite struct BatchPlacesTests {
    @Test func placesComeBackAsRecorded() {
        var places = BatchPlaces()
        let engineForm = "ip-" + RequestIdentity(stage: "hero", item: "SKU-1", fingerprint: "fp1").prefix + "-1700000000-4242-2"
        places.add(stage: "hero", item: "SKU-1", fingerprint: "fp1", BatchPlace(chunk: "c1", customID: engineForm, batchID: "batch_1"))
        places.add(stage: "hero", item: "SKU-2", fingerprint: "fp2", BatchPlace(chunk: "c1", customID: "someone-else's-id", batchID: "batch_1"))
        places.add(stage: "hero", item: "SKU-3", fingerprint: "fp3", BatchPlace(chunk: "c2", customID: "ip-000000000000000000000000-9-1", batchID: nil))
        #expect(places.count == 3)
        #expect(places.place(stage: "hero", item: "SKU-1", fingerprint: "fp1") == BatchPlace(chunk: "c1", customID: engineForm, batchID: "batch_1"))
        #expect(places.place(stage: "hero", item: "SKU-2", fingerprint: "fp2") == BatchPlace(chunk: "c1", customID: "someone-else's-id", batchID: "batch_1"))
        #expect(places.place(stage: "hero", item: "SKU-3", fingerprint: "fp3") == BatchPlace(chunk: "c2", customID: "ip-000000000000000000000000-9-1", batchID: nil))
        #expect(places.place(stage: "hero", item: "SKU-1", fingerprint: "fp2") == nil)
        #expect(places.place(stage: "edit", item: "SKU-1", fingerprint: "fp1") == nil)
        // An attempt written another way than the engine writes it is kept as it was, not rebuilt.
        let padded = "ip-" + RequestIdentity(stage: "hero", item: "SKU-4", fingerprint: "fp4").prefix + "-7-02"
        places.add(stage: "hero", item: "SKU-4", fingerprint: "fp4", BatchPlace(chunk: "c3", customID: padded, batchID: "b3"))
        #expect(places.place(stage: "hero", item: "SKU-4", fingerprint: "fp4")?.customID == padded)
    }

    /// A woken unit's row is checked by the identity its custom id carries, whatever run sent it;
    /// an id of another form (an older imagepipe's) carries none to check.
    @Test func aCustomIDsIdentityIsItsRequestsWhateverTheRun() {
        let identity = RequestIdentity(stage: "hero", item: "A", fingerprint: "f").prefix
        #expect(RunEngine.identity(ofCustomID: "ip-\(identity)-12-host-7-1") == RunEngine.identity(ofCustomID: "ip-\(identity)-99-3"))
        #expect(RunEngine.identity(ofCustomID: "ip-\(identity)-12-1").map(String.init) == "ip-" + identity)
        #expect(RunEngine.identity(ofCustomID: "ip-\(String(repeating: "a", count: 32))-1") == nil)
        #expect(RunEngine.identity(ofCustomID: "someone-else") == nil)
    }
}
