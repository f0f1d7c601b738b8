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
        return S3UploadBody(spec: upload, objectKey: upload.key.flatMap { c.template($0, scope: scope, stage: stage.name) },
                            publicURL: upload.publicURL.flatMap { c.template($0, scope: scope, stage: stage.name) })
    }
}
