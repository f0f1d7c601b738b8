import Testing
@testable import ImagePipe

/// A ledger URL is shown without its password in every form libpq takes one, and the password is
/// what gets masked.
@Suite struct PostgresURLTests {
    @Test func thePasswordIsCutWhereverItIs() {
        let cases: [(String, String)] = [
            ("postgres://u:s3cret@db.example:5432/pipe", "postgres://u@db.example:5432/pipe"),
            ("postgresql://u:s3cret@h1:5432,h2:5433/pipe?sslmode=require", "postgresql://u@h1:5432,h2:5433/pipe?sslmode=require"),
            ("postgres://u@h/db?sslmode=prefer&password=s3cret", "postgres://u@h/db?sslmode=prefer"),
            ("postgres://u@h/db?password=s3cret", "postgres://u@h/db"),
            ("postgres://u:p%40ss@h/db", "postgres://u@h/db"),
            ("postgres://h/db", "postgres://h/db"),
        ]
        for (url, shown) in cases {
            #expect(PostgresConnection.withoutPassword(url) == shown, "\(url)")
        }
        #expect(PostgresConnection.passwords(in: "postgres://u:p%40ss@h/db") == ["p%40ss", "p@ss"])
        #expect(PostgresConnection.passwords(in: "postgres://u@h/db?password=s3cret") == ["s3cret", "s3cret"])
        #expect(LedgerStores.secrets(of: "postgres://u@h/db", environment: ["PGPASSWORD": "envpw"]) == ["envpw"])
        #expect(LedgerStores.secrets(of: ".imagepipe/x.sqlite", environment: ["PGPASSWORD": "envpw"]).isEmpty)
    }
}
