/// `http`: anything → a response, one request per item (a CMS update, a webhook).
struct HTTPStage: StageKind {
    let name = "http"
    let summary = "Anything → a response: one HTTP request per item (a CMS update, a webhook)."
    var declaration: ObjectSpec { HTTPStageSpec.declaration }
    let accepts: [ItemType] = [.records, .images, .urls, .responses]
    let yields = ItemType.responses
    var outputFields: [String] { HTTPStageBody.outputFields }
    var openOutputFields: Set<String> { ["json"] }

    func read(_ body: ConfigObject) -> any StageConfig { HTTPStageSpec(body) }

    func compile(_ stage: StageSpec, scope: TemplateScope, inputType: ItemType, _ c: StageCompilation) -> any StageBody {
        let http = stage.config as! HTTPStageSpec
        var out = HTTPStageBody(method: http.method, success: http.success)
        if let url = http.url { out.url = c.template(url, scope: scope, stage: stage.name) }
        for (name, value) in http.headers {
            if let located = value.located, let template = c.template(located, scope: scope, stage: stage.name) {
                out.headers.append((name.value, template))
            }
        }
        for (name, value) in http.query {
            if let located = value.located, let template = c.template(located, scope: scope, stage: stage.name) {
                out.query.append((name.value, template))
            }
        }
        if let json = http.json { out.json = c.jsonTemplate(json, scope: scope, stage: stage.name) }
        return out
    }
}
