import Foundation
import NIOHTTP1

/// One request to send, rendered.
struct PreparedRequest: PreparedUnit {
    typealias Product = HTTPReply

    let method: String
    let url: String
    let headers: [(String, String)]
    let body: [UInt8]?
    let bodyJSON: JSONValue?
    let success: [Int]?
    let fingerprint: String?
    let transport: HTTPTransport?
    let timeout: Double

    var sample: [(label: String, value: String)] {
        [("request", "\(method) \(url)")] + (bodyJSON.map { [("json", $0.serialized(pretty: false))] } ?? [])
    }
    var writes: String? { nil }
    var planned: [(name: String, value: String)] { [] }
    var price: Double { 0 }

    func describe(_ outcome: inout ItemOutcome) {
        outcome.url = url
    }

    func reuse(_ entry: RecordedSuccess, _ probe: CacheProbe, into outcome: inout ItemOutcome) -> UnitOutputs? {
        guard let recorded = entry.response.flatMap({ try? JSONParser.parse(Array($0.utf8)) }) else { return nil }
        var status = 200
        if case .int(let s)? = recorded["status"] { status = s }
        return answered(status: status, json: recorded["json"].flatMap { $0 == .null ? nil : $0 }, into: &outcome)
    }

    func call() async throws(CallFailure) -> Product {
        guard let transport else { throw CallFailure(.local_error, "stage has no HTTP client") }
        let reply = try await transport.send(HTTPMethod(rawValue: method), url, headers: headers, body: body, timeout: timeout)
        let ok = success.map { $0.contains(reply.status) } ?? (200..<300).contains(reply.status)
        guard ok else {
            let text = String(decoding: reply.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            var failure = CallFailure(FailureClass.of(status: reply.status), "HTTP \(reply.status)" + (text.isEmpty ? "" : ": \(text)"),
                                      retryAfter: RetryAfter.seconds(headers: reply.headers), status: reply.status)
            if success != nil, (200..<300).contains(reply.status) { failure.failureClass = .bad_request }
            throw failure
        }
        return reply
    }

    func commit(_ product: Product, into outcome: inout ItemOutcome) throws(CallFailure) -> UnitOutputs {
        answered(status: product.status, json: product.body.isEmpty ? nil : product.json, into: &outcome)
    }

    private func answered(status: Int, json: JSONValue?, into outcome: inout ItemOutcome) -> UnitOutputs {
        outcome.httpStatus = status
        outcome.response = JSONValue.object([("status", .int(status)), ("json", json ?? .null)]).serialized(pretty: false)
        return UnitOutputs([("status", String(status)), ("json", json.map { $0.serialized(pretty: false) } ?? "")], json: json)
    }
}
