import Foundation

/// One object to put: where it goes and what it holds.
struct PreparedUpload: PreparedUnit {
    typealias Product = S3Uploader.Uploaded

    let bucket: String
    let key: String
    /// The image to upload (absolute), and relative to output_dir for the manifest.
    let file: String?
    let relativePath: String?
    let sha256: String?
    let bytes: Int?
    let contentType: String
    let plannedURL: String
    let publicURL: String?
    let fingerprint: String?
    let uploader: S3Uploader?
    let timeout: Double

    var sample: [(label: String, value: String)] { [("key", key), ("url", plannedURL)] }
    var writes: String? { nil }
    var planned: [(name: String, value: String)] { [("url", plannedURL), ("key", key)] }
    var price: Double { 0 }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.path = relativePath
        outcome.sha256 = sha256
        outcome.bytes = bytes
    }

    func reuse(_ entry: LedgerSnapshot.Output, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let url = entry.url else { return nil }
        let etag = entry.response.flatMap { try? JSONParser.parse(Array($0.utf8)) }.flatMap { json -> String? in
            if case .string(let e)? = json["etag"] { return e }
            return nil
        }
        return finished(url: url, etag: etag, into: &outcome)
    }

    func call() async throws(CallFailure) -> Product {
        guard let uploader else { throw CallFailure(.local_error, "stage has no S3 client") }
        guard let file, let data = FileManager.default.contents(atPath: file) else {
            throw CallFailure(.local_error, "cannot read the image to upload")
        }
        return try await uploader.put(key: key, body: Array(data), contentType: contentType, timeout: timeout)
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        finished(url: product.url, etag: product.etag, into: &outcome)
    }

    private func finished(url: String, etag: String?, into outcome: inout ItemOutcome) -> UnitOutputs {
        let shown = publicURL ?? url
        outcome.url = shown
        outcome.etag = etag
        outcome.response = JSONValue.object([("bucket", .string(bucket)), ("key", .string(key)), ("etag", etag.map(JSONValue.string) ?? .null)])
            .serialized(pretty: false)
        return UnitOutputs([("url", shown), ("bucket", bucket), ("key", key), ("etag", etag ?? "")], ledgerURL: url)
    }
}
