import Foundation

/// One object to put: where it goes and what it holds. The URL and the fingerprint are made
/// only when asked for.
struct PreparedUpload: PreparedUnit {
    typealias Product = S3Uploader.Uploaded

    let body: S3UploadBody
    let key: String
    let publicURL: String?
    /// The image to upload (absolute), its SHA-256 and size, as the stage above made or recorded it.
    let file: String?
    let sha256: String?
    let bytes: String?
    let environment: UnitEnvironment

    var spec: S3UploadSpec { body.spec }
    var region: String { S3Uploader.region(spec, environment: environment.environment) }
    var objectURL: String {
        S3Address.objectURL(bucket: body.bucket, key: key, region: region, endpoint: spec.endpoint, pathStyle: spec.pathStyle)
    }
    var contentType: String {
        spec.contentType ?? file.flatMap(ImageFormatSniffer.format(ofFileAt:))?.mimeType ?? "application/octet-stream"
    }

    var sample: [(label: String, value: String)] { [("key", key), ("url", publicURL ?? objectURL)] }
    var writes: String? { nil }
    var planned: [(name: String, value: String)] { [("url", publicURL ?? objectURL), ("key", key)] }
    var price: Double { 0 }

    /// Known once the image is made (or recorded): a dry run of new images cannot be cached.
    var fingerprint: String? {
        guard file != nil, let sha256 else { return nil }
        return Fingerprint.hash(["s3_upload", spec.endpoint ?? "", region, String(spec.pathStyle), body.bucket, key,
                                 sha256, contentType, spec.cacheControl ?? "", spec.checksum ?? ""])
    }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.path = file.map { file in
            let folder = environment.outputDirectory + "/"
            return file.hasPrefix(folder) ? String(file.dropFirst(folder.count)) : file
        }
        outcome.sha256 = sha256
        outcome.bytes = bytes.flatMap { Int($0) }
    }

    func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let url = entry.url else { return nil }
        let etag = entry.response.flatMap { try? JSONParser.parse(Array($0.utf8)) }.flatMap { json -> String? in
            if case .string(let e)? = json["etag"] { return e }
            return nil
        }
        return finished(url: url, etag: etag, into: &outcome)
    }

    func call() async throws(CallFailure) -> Product {
        guard let uploader = environment.connection as? S3Uploader else { throw CallFailure(.local_error, "stage has no S3 client") }
        guard let file, let data = FileManager.default.contents(atPath: file) else {
            throw CallFailure(.local_error, "cannot read the image to upload")
        }
        return try await uploader.put(key: key, body: Array(data), contentType: contentType, timeout: environment.timeout)
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        finished(url: product.url, etag: product.etag, into: &outcome)
    }

    private func finished(url: String, etag: String?, into outcome: inout ItemOutcome) -> UnitOutputs {
        let shown = publicURL ?? url
        outcome.url = shown
        outcome.etag = etag
        outcome.bucket = body.bucket
        outcome.objectKey = key
        outcome.response = JSONValue.object([("bucket", .string(body.bucket)), ("key", .string(key)), ("etag", etag.map(JSONValue.string) ?? .null)])
            .serialized(pretty: false)
        return UnitOutputs([("url", shown), ("bucket", body.bucket), ("key", key), ("etag", etag ?? "")], ledgerURL: url)
    }
}
