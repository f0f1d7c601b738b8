import Foundation

/// A compiled `s3_upload` stage. Each upload is fingerprinted by what it sends (bucket, key,
/// the image's SHA-256, headers), so a re-run uploads nothing twice and a changed key sends again.
/// A class: each unit keeps one reference to it.
final class S3UploadBody: StageBody {
    let spec: S3UploadSpec
    let bucket: String
    let objectKey: Template?
    let publicURL: Template?

    init(spec: S3UploadSpec, objectKey: Template?, publicURL: Template?) {
        self.spec = spec
        bucket = spec.bucket?.value ?? ""
        self.objectKey = objectKey
        self.publicURL = publicURL
    }

    static let outputFields = ["url", "bucket", "key", "etag"]

    func constants(stage: String) -> [String: String] {
        var out: [String: String] = [:]
        for field in Self.outputFields { out[field] = "<\(stage).\(field)>" }
        out["bucket"] = bucket
        return out
    }

    func missingSettings(environment: [String: String]) -> [String] {
        guard S3Uploader.credentials(spec, environment: environment) == nil else { return [] }
        return ["has no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or its access_key_id and secret_access_key"]
    }

    func connect(_ setup: ConnectionSetup) throws(ConnectionProblem) -> (any StageConnection)? {
        guard let credentials = S3Uploader.credentials(spec, environment: setup.environment) else {
            throw ConnectionProblem("stage '\(setup.stage)' " + missingSettings(environment: setup.environment).joined())
        }
        // Credentials written in the file are as secret as those from the environment.
        for value in [credentials.accessKeyID, credentials.secretAccessKey, credentials.sessionToken].compactMap({ $0 }) { setup.secrets.register(value) }
        let signer = SigV4Signer(credentials: credentials, region: S3Uploader.region(spec, environment: setup.environment), service: "s3")
        return S3Uploader(transport: setup.transport, signer: signer, bucket: bucket, endpoint: spec.endpoint, pathStyle: spec.pathStyle,
                          cacheControl: spec.cacheControl, checksum: spec.checksum == "sha256")
    }

    func prepare(_ unit: ItemContext, _ environment: UnitEnvironment) throws(UnitProblem) -> any PreparedUnit {
        let stage = environment.stage
        guard let key = try unit.render(objectKey, stage: stage, what: "key"), !key.isEmpty else {
            throw UnitProblem("the object key of stage '\(stage)' is empty for item '\(unit.key)'", hint: "give the key's fields a value for every item")
        }
        if URLValueEncoding.hasDotSegment(key[...]), let segment = key.split(separator: "/", omittingEmptySubsequences: false).first(where: URLValueEncoding.isDotSegment) {
            // In the object's URL a '..' climbs out of the key (and, path-style, out of the bucket).
            throw UnitProblem("the object key '\(key)' of stage '\(stage)' for item '\(unit.key)' has a '\(segment)' segment from the data "
                              + "(\(unit.location.file):\(unit.location.line)); stores and clients resolve it to another object, so it was not uploaded",
                              hint: "use the 'slug' filter on the data in the key", failureClass: .bad_request,
                              cause: "stage '\(stage)' object keys with a '.' or '..' segment from the data", setting: "key")
        }
        let publicURL = try unit.render(publicURL, stage: stage, what: "public_url", encoding: .url)
        let upstream = unit.outputs.last
        return PreparedUpload(body: self, key: key, publicURL: publicURL, file: upstream?.itemValue(StageOutput.fileField),
                              sha256: upstream?.itemValue("sha256"), bytes: upstream?.itemValue("bytes"), environment: environment)
    }
}

extension S3Uploader: StageConnection {}
