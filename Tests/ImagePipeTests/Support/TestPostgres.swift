import Foundation
import Testing

/// The PostgreSQL server `scripts/test` starts for the suite (a throwaway cluster on a loopback
/// port); a test that needs it fails, never skips, when it is not there.
enum TestPostgres {
    static func url(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(ProcessInfo.processInfo.environment["IMAGEPIPE_TEST_POSTGRES"],
                     "IMAGEPIPE_TEST_POSTGRES is not set: run the tests with scripts/test, which starts PostgreSQL", sourceLocation: sourceLocation)
    }

    /// A pipeline name no other test uses: each gets its own schema.
    static func uniqueName(_ base: String) -> String {
        "\(base)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
