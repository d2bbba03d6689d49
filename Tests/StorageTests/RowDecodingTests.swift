import Foundation
import Storage
import TestSupport
import Testing

/// Rows decode exactly or throw; text and blobs are stored byte for byte.
@Suite("Row decoding and bytes")
struct RowDecodingTests {
    static let shipped = TestPaths.packageRoot.appendingPathComponent("migrations").path

    func migrated() async throws -> Database {
        let database = try Database(path: ":memory:")
        try await database.migrate(Migrator(directory: RowDecodingTests.shipped))
        return database
    }

    func record(_ id: String) -> DatabaseRecord {
        DatabaseRecord(
            id: id, logicalId: "logical-\(id)", status: .provisioning, name: "name", region: "us-east-1",
            reference: "ref", metadata: "{}", ttlSeconds: 3600, expiresAt: 2_000_000, createdAt: 1_000_000)
    }

    /// The columns `DatabasesRepository` selects, with valid values.
    static let databaseColumns: [(String, SQLValue)] = [
        ("id", .text("db_1")), ("logical_id", .text("l_1")), ("status", .text("ready")), ("name", .text("n")),
        ("region", .text("r")), ("reference", .null), ("metadata", .null), ("project_id", .text("p")),
        ("prisma_database_id", .null), ("credentials", .blob([1, 2, 3])), ("failure_reason", .null),
        ("ttl_seconds", .integer(60)), ("expires_at", .integer(5)), ("attempts", .integer(1)), ("created_at", .integer(1)),
        ("updated_at", .integer(2)), ("claimed_at", .null), ("claimed_workspace_id", .null), ("deleted_at", .null),
        ("delete_attempts", .integer(0)), ("connection_id", .null), ("on_claim", .null),
        ("deleted_by", .null),
    ]

    func databaseRow(replacing column: String? = nil, with value: SQLValue = .null, dropping dropped: String? = nil) -> Row {
        let pairs = RowDecodingTests.databaseColumns
            .filter { $0.0 != dropped }
            .map { $0.0 == column ? ($0.0, value) : $0 }
        return Row(columns: pairs.map(\.0), values: pairs.map(\.1))
    }

    // MARK: Decoding

    @Test("a stored record reads back equal")
    func roundTrip() async throws {
        let database = try await migrated()
        let stored = record("db_1")
        try await database.write { try DatabasesRepository.insert(stored, in: $0) }
        let found = try await database.read { try DatabasesRepository.find("db_1", in: $0) }
        #expect(found == stored)
        #expect(try DatabaseRecord(row: databaseRow()).status == .ready)
    }

    @Test("an unknown status throws instead of reading as failed")
    func unknownStatus() async throws {
        let database = try await migrated()
        try await database.write { db in
            try DatabasesRepository.insert(record("db_1"), in: db)
            // The CHECK constraint keeps such a value out; a hand edit or a newer build's status
            // would not be kept out of an older build's reads.
            try db.execute(script: "PRAGMA ignore_check_constraints = ON")
            try db.execute("UPDATE databases SET status = 'archived' WHERE id = ?", ["db_1"])
            try db.execute(script: "PRAGMA ignore_check_constraints = OFF")
        }
        await #expect(throws: StorageError.unexpectedRow(table: "databases", column: "status", found: "unknown value \"archived\"")) {
            try await database.read { try DatabasesRepository.find("db_1", in: $0) }
        }
        await #expect(throws: StorageError.self) {
            try await database.read { try DatabasesRepository.list(status: nil, reference: nil, after: nil, limit: 10, in: $0) }
        }
        #expect(throws: StorageError.self) { try DatabaseRecord(row: databaseRow(replacing: "status", with: .text(""))) }
    }

    @Test("an unknown idempotency state throws instead of reading as in flight")
    func unknownIdempotencyState() async throws {
        let database = try await migrated()
        try await database.write { db in
            try DatabasesRepository.insert(record("db_1"), in: db)
            try DatabasesRepository.insertKey(principal: "p", key: "k", fingerprint: "f", databaseId: "db_1", now: 1, in: db)
            try db.execute(script: "PRAGMA ignore_check_constraints = ON")
            try db.execute("UPDATE idempotency_keys SET state = 'half_done'")
            try db.execute(script: "PRAGMA ignore_check_constraints = OFF")
        }
        await #expect(throws: StorageError.unexpectedRow(table: "idempotency_keys", column: "state", found: "unknown value \"half_done\"")) {
            try await database.read { try DatabasesRepository.findKey(principal: "p", key: "k", in: $0) }
        }
    }

    @Test("NULL in a required column throws", arguments: ["id", "status", "name", "expires_at", "created_at", "delete_attempts"])
    func nullInRequiredColumn(column: String) throws {
        #expect(throws: StorageError.unexpectedRow(table: "databases", column: column, found: "NULL")) {
            try DatabaseRecord(row: databaseRow(replacing: column, with: .null))
        }
    }

    @Test("a missing column and a mistyped one throw, and the error never shows the value")
    func missingAndMistyped() throws {
        #expect(throws: StorageError.unexpectedRow(table: "databases", column: "expires_at", found: "nothing (no such column)")) {
            try DatabaseRecord(row: databaseRow(dropping: "expires_at"))
        }
        #expect(throws: StorageError.unexpectedRow(table: "databases", column: "expires_at", found: "a TEXT of 2 bytes")) {
            try DatabaseRecord(row: databaseRow(replacing: "expires_at", with: .text("12")))
        }
        let secret = "sk_live_do_not_log_me"
        do {
            _ = try DatabaseRecord(row: databaseRow(replacing: "credentials", with: .text(secret)))
            Issue.record("a TEXT credential decoded")
        } catch {
            #expect(error == .unexpectedRow(table: "databases", column: "credentials", found: "a TEXT of \(secret.utf8.count) bytes"))
            #expect(!error.description.contains(secret))
        }
        // Optional columns accept NULL, and only NULL or their type.
        #expect(try DatabaseRecord(row: databaseRow(replacing: "credentials", with: .null)).credentials == nil)
    }

    @Test("events, claim links, OAuth states and accounts throw on NULL where a value is required")
    func otherRecords() throws {
        let event = Row(
            columns: ["seq", "id", "type", "database_id", "account_id", "payload", "created_at", "state", "attempts"],
            values: [.integer(1), .text("evt"), .text("database.ready"), .null, .null, .null, .integer(1), .text("pending"), .integer(0)])
        #expect(throws: StorageError.unexpectedRow(table: "events", column: "payload", found: "NULL")) { try EventRecord(row: event) }
        let unknownState = Row(columns: event.columns, values: event.values.enumerated().map {
            $0.offset == 5 ? .text("{}") : $0.offset == 7 ? .text("lost") : $0.element
        })
        #expect(throws: StorageError.unexpectedRow(table: "events", column: "state", found: "unknown value \"lost\"")) {
            try EventRecord(row: unknownState)
        }

        let link = Row(columns: ["database_id", "expires_at", "revoked_at"], values: [.text("db_1"), .null, .null])
        #expect(throws: StorageError.unexpectedRow(table: "claim_links", column: "expires_at", found: "NULL")) { try ClaimLink(row: link) }

        let state = Row(
            columns: ["database_id", "claim_token", "verifier", "browser_hash", "expires_at", "consumed_at"],
            values: [.text("db_1"), .blob([1]), .null, .blob([2]), .integer(9), .null])
        #expect(throws: StorageError.unexpectedRow(table: "oauth_states", column: "verifier", found: "NULL")) {
            try OAuthStateRecord(row: state)
        }

        let account = Row(
            columns: ["id", "prisma_user_id", "workspace_id", "email", "access_token", "refresh_token", "access_expires_at", "scope", "status"],
            values: [.text("acc"), .text("u"), .null, .null, .blob([1]), .null, .null, .null, .text("active")])
        #expect(throws: StorageError.unexpectedRow(table: "accounts", column: "workspace_id", found: "NULL")) {
            try AccountRecord(row: account)
        }
    }

    @Test("markClaimed drops the credentials and revokes the links, as its comment says")
    func markClaimedDropsCredentials() async throws {
        let database = try await migrated()
        let claimed = try await database.write { db -> DatabaseRecord? in
            try DatabasesRepository.insert(record("db_1"), in: db)
            _ = try DatabasesRepository.markReady("db_1", projectId: "p", prismaDatabaseId: nil, credentials: [1, 2, 3], now: 2, in: db)
            try DatabasesRepository.insertClaimLink(tokenHash: [9], databaseId: "db_1", now: 2, expiresAt: 2_000_000, in: db)
            #expect(try ClaimsRepository.markClaimed(databaseId: "db_1", workspaceId: "w", accountId: nil, now: 3, in: db))
            #expect(try ClaimsRepository.link(tokenHash: [9], in: db)?.revokedAt == 3)
            return try DatabasesRepository.find("db_1", in: db)
        }
        #expect(claimed?.status == .claimed)
        #expect(claimed?.credentials == nil)
    }

    // MARK: Bytes

    @Test("text with an embedded NUL round-trips byte for byte, through binds, storage and WHERE")
    func embeddedNUL() async throws {
        let tricky = "tenant-victim\u{0}-attacker"
        let database = try Database(path: ":memory:")
        let echoed = try await database.read { try $0.queryOne("SELECT ? AS s, length(CAST(? AS BLOB)) AS n", [tricky, tricky]) }
        #expect(echoed?["s"] == .text(tricky))
        #expect(echoed?["n"].int == tricky.utf8.count)

        try await database.write { db in
            try db.execute(script: "CREATE TABLE tenants (name TEXT PRIMARY KEY) STRICT")
            try db.execute("INSERT INTO tenants (name) VALUES (?)", [tricky])
        }
        let stored = try await database.read { try $0.query("SELECT name FROM tenants").map { try $0.text("name") } }
        #expect(stored == [tricky])
        // Truncated at the NUL, the value would match the victim's name.
        let victim = try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM tenants WHERE name = ?", ["tenant-victim"])?.int("n") }
        #expect(victim == 0)
        let exact = try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM tenants WHERE name = ?", [tricky])?.int("n") }
        #expect(exact == 1)
    }

    @Test("empty text and empty blobs stay empty, not NULL; multibyte text is intact")
    func emptyValues() async throws {
        let database = try Database(path: ":memory:")
        let row = try await database.read {
            try $0.queryOne("SELECT ? AS s, ? AS b, typeof(?) AS ts, typeof(?) AS tb, ? AS m", ["", [UInt8](), "", [UInt8](), "hé🦆\u{0}ü"])
        }
        #expect(row?["s"] == .text(""))
        #expect(row?["b"] == .blob([]))
        #expect(row?["ts"] == .text("text"))
        #expect(row?["tb"] == .text("blob"))
        #expect(row?["m"] == .text("hé🦆\u{0}ü"))
    }
}
