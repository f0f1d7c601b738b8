import Foundation
import ImagePipe

/// An answer ready to send.
struct EmulatorAnswer {
    var status: Int
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    var body: [UInt8]

    init(status: Int, json: JSONValue, headers extra: [(String, String)] = []) {
        self.status = status
        body = Array(json.serialized(pretty: false).utf8)
        headers += extra
    }
}

/// One provider API as the emulator speaks it: how it reads a request and words each answer.
protocol WireFormat {
    /// The prompt, the requested size and whether an input image came with it; nil when the
    /// request is malformed for this API.
    func parse(body: [UInt8], contentType: String?) -> (prompt: String, size: ImageSize?, hasImage: Bool)?
    func keyAccepted(headers: [(String, String)], expected: String?) -> Bool
    func answer(_ decision: EmulatorDecision, image: () -> [UInt8], model: String) -> EmulatorAnswer
    func malformed(_ why: String) -> EmulatorAnswer
    /// Where the quota stands, in headers on every answer (only where the API sends them).
    func rateHeaders(_ reading: EmulatorQuota.Reading) -> [(String, String)]
}

extension WireFormat {
    func rateHeaders(_ reading: EmulatorQuota.Reading) -> [(String, String)] { [] }

    static func header(_ headers: [(String, String)], _ name: String) -> String? {
        HeaderList.value(name, in: headers)
    }

    /// `Authorization: Bearer KEY`, as OpenAI and ModelArk take it; any key when none is expected.
    static func bearerAccepted(_ headers: [(String, String)], expected: String?) -> Bool {
        guard let expected else { return true }
        return header(headers, "Authorization") == "Bearer \(expected)"
    }
}
