import Foundation

/// Reads the wait a server asks for, in seconds, from the places providers put it.
public enum RetryAfter {
    /// `retry-after-ms` (OpenAI) wins over `Retry-After`, which is seconds or an HTTP date.
    public static func seconds(headers: [(String, String)], now: Date = Date()) -> Double? {
        func header(_ name: String) -> String? {
            HeaderList.value(name, in: headers)?.trimmingCharacters(in: .whitespaces)
        }
        if let ms = header("retry-after-ms").flatMap(Double.init), ms >= 0 { return ms / 1000 }
        guard let value = header("retry-after") else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        if let date = httpDate(value) { return max(0, date.timeIntervalSince(now)) }
        return nil
    }

    /// Gemini's `google.rpc.RetryInfo` detail: `{"retryDelay": "2.5s"}`.
    public static func seconds(googleError body: JSONValue?) -> Double? {
        guard case .array(let details)? = body?["error"]?["details"] else { return nil }
        for detail in details {
            guard case .string(let type)? = detail["@type"], type.hasSuffix("google.rpc.RetryInfo"),
                  case .string(let delay)? = detail["retryDelay"], delay.hasSuffix("s"),
                  let seconds = Double(delay.dropLast()) else { continue }
            return seconds
        }
        return nil
    }

    private static let formatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f
    }()
    private static let lock = NSLock()

    package static func httpDate(_ text: String) -> Date? {
        lock.withLock { formatter.date(from: text) }
    }
}
