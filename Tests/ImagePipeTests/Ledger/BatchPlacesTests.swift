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
    }
}
