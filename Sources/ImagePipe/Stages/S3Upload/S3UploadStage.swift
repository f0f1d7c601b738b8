/// `s3_upload`: images → URLs, PutObject to S3 or an S3-compatible store, signed with SigV4.
struct S3UploadStage: StageKind {
    let name = "s3_upload"
    let summary = "Images → URLs: uploads each image to S3 or an S3-compatible store."
    var declaration: ObjectSpec { S3UploadSpec.declaration }
    let accepts: [ItemType] = [.images]
    let yields = ItemType.urls
    var outputFields: [String] { S3UploadBody.outputFields }

    func hint(whenFedWith type: ItemType) -> String { "upload from a generate or edit stage" }

    func read(_ body: ConfigObject) -> any StageConfig { S3UploadSpec(body) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ c: StageCompilation) -> any StageBody {
        let upload = stage.config as! S3UploadSpec
        var out = S3UploadBody(spec: upload, bucket: upload.bucket?.value ?? "")
        if let key = upload.key { out.objectKey = c.template(key, scope: scope, stage: stage.name) }
        if let url = upload.publicURL { out.publicURL = c.template(url, scope: scope, stage: stage.name) }
        return out
    }
}
