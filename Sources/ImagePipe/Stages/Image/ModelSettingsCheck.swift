/// Checks an image stage's model and settings against what its provider declares the model
/// accepts. Against the provider's own API a mismatch is an error (every item would fail with a
/// 400); against another base URL (a proxy, a compatible service, `imagepipe emulate`) it is a
/// warning, since that service may accept more.
enum ModelSettingsCheck {
    static func check(_ image: ImageStageSpec, stage: StageSpec, provider: ProviderSpec, isEdit: Bool, _ c: StageCompilation) {
        let kind = provider.component
        guard !kind.models.isEmpty, let model = image.model else { return }
        let body = stage.body
        let official = provider.baseURL == kind.defaultBaseURL
        func problem(_ message: String, at location: SourceLocation, hint: String?) {
            if official {
                c.diagnostics.error(message, at: location, hint: hint)
            } else {
                c.diagnostics.warning(message + " (the API at \(provider.baseURL ?? "its base_url") may accept it)", at: location, hint: hint)
            }
        }
        guard let spec = kind.model(named: model.value) else {
            // A model the user priced under `prices:` is one they vouch for.
            guard provider.prices[model.value] == nil else { return }
            let known = kind.models.filter { $0.unsupported == nil }.map(\.name)
            let hint = DidYouMean.suggestion(for: model.value, among: kind.models.flatMap(\.names)).map { "did you mean '\($0)'? " } ?? ""
            c.diagnostics.warning("model '\(model.value)' is not one imagepipe knows provider '\(provider.name)' (\(kind.name)) to serve, so its settings are not checked",
                                  at: model.location, hint: hint + "known: " + known.joined(separator: ", "))
            return
        }
        let name = spec.name
        if let why = spec.unsupported {
            c.diagnostics.error("model '\(model.value)' cannot be used with kind: \(kind.name): \(why)", at: model.location,
                                hint: "pick another model: " + kind.models.filter { $0.unsupported == nil }.map(\.name).joined(separator: ", "))
            return
        }
        if isEdit, !spec.edits {
            problem("model '\(name)' does not edit images", at: model.location,
                    hint: "use one that does: " + kind.models.filter { $0.edits && $0.unsupported == nil }.map(\.name).joined(separator: ", "))
        }
        if let size = image.size {
            let (ok, nearest) = spec.check(size)
            if !ok {
                problem("\(name) does not make \(size) images", at: body.keyLocation("size"),
                        hint: (nearest.map { "did you mean \($0)? " } ?? "") + "sizes: " + spec.sizeList)
            }
        }
        if let ratio = image.aspectRatio {
            if let ratios = spec.aspectRatios {
                if !ratios.contains(ratio.description) {
                    problem("\(name) does not take aspect_ratio \"\(ratio)\"", at: body.keyLocation("aspect_ratio"),
                            hint: (DidYouMean.suggestion(for: ratio.description, among: ratios).map { "did you mean \"\($0)\"? " } ?? "") + "ratios: " + ratios.joined(separator: ", "))
                }
            } else {
                problem("\(name) takes 'size', not 'aspect_ratio'", at: body.keyLocation("aspect_ratio"), hint: "sizes: " + spec.sizeList)
            }
        }
        if let resolution = image.resolution {
            if let resolutions = spec.resolutions {
                if !resolutions.contains(resolution) {
                    problem("\(name) does not make resolution \(resolution)", at: body.keyLocation("resolution"), hint: "resolutions: " + resolutions.joined(separator: ", "))
                }
            } else {
                let tiered = kind.models.filter { $0.resolutions != nil }.map(\.name)
                problem("\(name) has no resolution tiers", at: body.keyLocation("resolution"),
                        hint: tiered.isEmpty ? "remove 'resolution'" : "remove 'resolution', or use a model that has them: " + tiered.joined(separator: ", "))
            }
        }
        if let quality = image.quality {
            if let qualities = spec.qualities {
                if !qualities.contains(quality) {
                    problem("\(name) does not take quality '\(quality)'", at: body.keyLocation("quality"),
                            hint: (DidYouMean.suggestion(for: quality, among: qualities).map { "did you mean '\($0)'? " } ?? "") + "qualities: " + qualities.joined(separator: ", "))
                }
            } else {
                problem("\(name) has no quality setting", at: body.keyLocation("quality"), hint: "remove 'quality'")
            }
        }
        if !spec.takesFormatOptions {
            for key in ["background", "output_format"] where body.fields[key] != nil {
                problem("\(name) does not take '\(key)'", at: body.keyLocation(key),
                        hint: "remove it, or use a model that does: " + kind.models.filter(\.takesFormatOptions).map(\.name).joined(separator: ", "))
            }
        }
    }
}
