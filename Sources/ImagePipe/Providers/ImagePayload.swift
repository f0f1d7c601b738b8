import Foundation

/// An image in an answer's `data[]` entry as OpenAI-style APIs (OpenAI, Seedream) give it: inline
/// as `b64_json`, or at a `url` fetched at once (such URLs expire).
enum ImagePayload {
    static func image(in entry: JSONValue, transport: HTTPTransport, timeout: Double) async throws(CallFailure) -> ProviderImage {
        if case .string(let b64)? = entry["b64_json"] {
            guard let bytes = Data(base64Encoded: b64) else { throw CallFailure(.invalid_output, "data[0].b64_json is not valid base64") }
            return ProviderImage(bytes: Array(bytes))
        }
        if case .string(let url)? = entry["url"] {
            let download = try await transport.send(.GET, url, timeout: timeout)
            guard download.status == 200 else {
                throw CallFailure(FailureClass.of(status: download.status), "downloading the image answered HTTP \(download.status)", status: download.status)
            }
            return ProviderImage(bytes: download.body)
        }
        throw CallFailure(.invalid_output, "data[0] has neither b64_json nor url")
    }
}
