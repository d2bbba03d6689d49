import Foundation
import Storage

/// The PostgreSQL that `scripts/test` starts for the suite (see `scripts/test-postgres`).
///
/// `CLAIMGATE_TEST_POSTGRES_URL` points at it (its `postgres` database, as an administrator);
/// `CLAIMGATE_TEST_ENGINE=postgres` runs the application tests on it instead of SQLite (the
/// second pass of `scripts/test`). Every test gets a database of its own, named after something
/// unique to the test (its SQLite path), so a test that restarts its application on the same path
/// meets the same state again, as it would with the SQLite file.
public enum TestPostgres {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The administrator URL, if a test PostgreSQL is running.
    public static var adminURL: String? { environment["CLAIMGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The test server's self-signed certificate (it serves TLS too), for the `sslmode` tests.
    public static var certificateAuthority: String? { environment["CLAIMGATE_TEST_POSTGRES_CA"] }

    /// Whether this pass runs the application tests on PostgreSQL.
    public static var isSelected: Bool { environment["CLAIMGATE_TEST_ENGINE"] == "postgres" }

    /// Whether `scripts/test` promised a PostgreSQL (then its absence is a failure, not a skip).
    public static var isRequired: Bool { environment["CLAIMGATE_REQUIRE_POSTGRES"] == "1" }

    /// The URL of a database of its own for `key` (created when missing).
    public static func databaseURL(for key: String) async throws -> String {
        guard let adminURL else { throw MissingPostgres() }
        let name = "cg_" + fnv1a(key)
        let admin = PostgresDatabase(try PostgresURL(adminURL))
        try await admin.open()
        do {
            try await admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        } catch let error as PostgresError where error.sqlState == "42P04" {
            // It exists: the same test's earlier application (a restart) made it.
        }
        await admin.close()
        guard var components = URLComponents(string: adminURL) else { throw MissingPostgres() }
        components.path = "/" + name
        return components.string ?? adminURL
    }

    public struct MissingPostgres: Error, CustomStringConvertible {
        public var description: String { "CLAIMGATE_TEST_POSTGRES_URL is not set: run the tests with scripts/test" }
    }

    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}
