import Foundation

/// `imagepipe init`: a first pipeline written from a CSV's header, offline and free (the
/// placeholder provider), with the key, the prompt and the output path chosen from the columns,
/// and comments that show where a real provider, a budget and an upload go.
public enum StarterPipeline {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Column names that usually identify an item, best first.
    static let keyNames = ["sku", "id", "key", "slug", "handle", "code", "product_id", "item_id", "uuid"]

    public static func yaml(csvPath: String, displayPath: String, pipelineDirectory: String) throws(Failure) -> String {
        var delimiter = UInt8(ascii: ",")
        guard let probe = CSVReader(path: csvPath) else { throw Failure(description: "cannot read \(displayPath)") }
        let first: CSVReader.Row?
        do { first = try probe.next() } catch { throw Failure(description: "\(displayPath):\(error.line): \(error.message)") }
        guard var header = first?.values, !header.isEmpty else { throw Failure(description: "\(displayPath) is empty: its first line should name the columns") }
        if header.count == 1, let guess = [(UInt8(ascii: ";"), ";"), (0x09, "\t"), (UInt8(ascii: "|"), "|")].first(where: { header[0].contains($0.1) }) {
            delimiter = guess.0
            header = header[0].components(separatedBy: guess.1)
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        let templateNames = names.filter { $0.range(of: #"^[A-Za-z_][A-Za-z0-9_-]*$"#, options: .regularExpression) != nil }
        guard !templateNames.isEmpty else {
            throw Failure(description: "no column of \(displayPath) has a name templates can use (letters, digits, '_' and '-', starting with a letter)")
        }
        let key = keyNames.lazy.compactMap { wanted in templateNames.first { $0.lowercased() == wanted } }.first ?? templateNames[0]
        let described = templateNames.filter { $0 != key }.prefix(4)
        let promptFields = described.isEmpty ? "{{ \(key) }}" : described.map { "{{ \($0) }}" }.joined(separator: ", ")
        let relative = RelativePath.relative(csvPath, from: pipelineDirectory)
        let stem = ((displayPath as NSString).lastPathComponent as NSString).deletingPathExtension
        var name = TemplateFilter.slug(stem).replacingOccurrences(of: "-", with: "_")
        if name.isEmpty || !(name.first?.isLetter ?? false) { name = "catalog" }
        let delimiterLine = delimiter == UInt8(ascii: ",") ? "" : "\n    delimiter: \(delimiter == 0x09 ? "tab" : "\"\(Character(UnicodeScalar(delimiter)))\"")"
        return """
        # yaml-language-server: $schema=https://github.com/imagepipe/imagepipe/schemas/pipeline.schema.json
        # A first pipeline for \(displayPath), written by `imagepipe init`. It runs offline and free:
        #   imagepipe plan \(name).yaml     # the dry run: items, prompts, paths, cost
        #   imagepipe run \(name).yaml      # placeholder images in out/\(name)/
        # Then switch the provider to a real one (see providers: below) and set a budget.
        version: 1
        name: \(name)
        output_dir: out/\(name)

        providers:
          local:
            kind: placeholder            # free test images; no key, no network
          # openai:
          #   kind: openai               # reads OPENAI_API_KEY
          #   concurrency: 8
          #   rate_limit: { requests: 50, per: 1m }

        defaults:
          provider: local
          concurrency: 4

        sources:
          items:
            csv: \(relative)
            key: "{{ \(key) }}"          # each item's stable identity: output names and resume rest on it\(delimiterLine)

        stages:
          hero:
            generate:
              from: items
              model: placeholder-v1      # e.g. gpt-image-1 with the openai provider
              prompt: "Product photo: \(promptFields), studio lighting, white background"
              size: 1024x1024
              output: hero/{{ \(key) | slug }}.png

        # budget: { max_usd: 10 }        # stop before spending more than this
        # A next stage could upload each image:
        #   upload:
        #     s3_upload: { from: hero, bucket: my-assets, key: "products/{{ \(key) | slug }}.png" }

        """
    }
}
