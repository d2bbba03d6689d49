import Foundation
import Storage
import TestSupport
import Testing

/// What the product relies on from storage, checked on both engines: SQLite (always) and the
/// PostgreSQL that `scripts/test` starts (whenever `CLAIMGATE_TEST_POSTGRES_URL` is set).
@Suite("Storage contract on SQLite and PostgreSQL")
struct StorageContractTests {
    static var engines: [SQLEngine] { TestPostgres.adminURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    static let sqliteMigrations = TestPaths.packageRoot.appendingPathComponent("migrations").path
    static let postgresMigrations = TestPaths.packageRoot.appendingPathComponent("migrations/postgres").path

    /// A fresh, migrated database of the engine; a second handle on the same state when asked.
    static func fresh(_ engine: SQLEngine) async throws -> (Database, () async throws -> Database) {
        switch engine {
        case .sqlite:
            let path = TestPaths.temporaryDirectory().appendingPathComponent("contract.sqlite").path
            let database = try Database(path: path)
            try await database.migrate(Migrator(directory: sqliteMigrations))
            return (database, { try Database(path: path) })
        case .postgres:
            let url = try PostgresURL(try await TestPostgres.databaseURL(for: UUID().uuidString))
            let database = try await Database(postgres: url)
            try await database.migrate(Migrator(directory: postgresMigrations))
            return (database, { try await Database(postgres: url) })
        }
    }

    @Test("scripts/test ran with a PostgreSQL, so the PostgreSQL half of these tests did run")
    func postgresIsThere() {
        if TestPostgres.isRequired { #expect(TestPostgres.adminURL != nil) }
    }

    @Test("values of every type round-trip; empty text and blobs stay empty, not NULL", arguments: engines)
    func roundTrip(engine: SQLEngine) async throws {
        let (database, _) = try await Self.fresh(engine)
        let bytes: [UInt8] = [0, 1, 2, 255]
        try await database.write { db in
            try db.execute("""
                INSERT INTO accounts (id, prisma_user_id, workspace_id, email, access_token, refresh_token,
                                      access_expires_at, scope, status, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
                """, ["acc_1", "u", "w", "héllo ✓", bytes, [UInt8](), nil as Int64?, "", Int64(1) << 40, 0])
        }
        let row = try #require(try await database.read { try $0.queryOne("SELECT * FROM accounts WHERE id = ?", ["acc_1"]) })
            .labelled("accounts")
        #expect(try row.text("email") == "héllo ✓")
        #expect(try row.blob("access_token") == bytes)
        #expect(try row.optionalBlob("refresh_token") == [])
        #expect(try row.optionalInt64("access_expires_at") == nil)
        #expect(try row.text("scope") == "")
        #expect(try row.int64("created_at") == Int64(1) << 40)
        await database.close()
    }

    @Test("a thrown error rolls the whole write back; a constraint violation is a storage error", arguments: engines)
    func rollback(engine: SQLEngine) async throws {
        let (database, _) = try await Self.fresh(engine)
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await database.write { db in
                try db.execute("INSERT INTO work_leases (name, owner, lease_until) VALUES ('a', 'x', 1)")
                throw Stop()
            } as Void
        }
        #expect(try await database.read { try $0.query("SELECT name FROM work_leases") }.isEmpty)
        try await database.write { try $0.execute("INSERT INTO work_leases (name, owner, lease_until) VALUES ('a', 'x', 1)") }
        let error = await #expect(throws: (any Error).self) {
            try await database.write { try $0.execute("INSERT INTO work_leases (name, owner, lease_until) VALUES ('a', 'y', 2)") }
        }
        switch engine {
        case .sqlite: #expect((error as? SQLiteError)?.isConstraintViolation == true)
        case .postgres: #expect((error as? PostgresError)?.isConstraintViolation == true)
        }
        #expect(await database.isInTransaction == false)
        await database.close()
    }

    @Test("a deferred write is committed and seen at once, by this handle and another; synced writes after it too", arguments: engines)
    func deferredWrites(engine: SQLEngine) async throws {
        let (database, another) = try await Self.fresh(engine)
        let second = try await another()
        for (index, durability) in [Durability.deferred, .deferred, .synced, .deferred, .synced].enumerated() {
            try await database.write(durability: durability) {
                try $0.execute("INSERT INTO work_leases (name, owner, lease_until) VALUES (?, 'x', 1)", ["l\(index)"])
            }
            let here = try await database.read { try $0.query("SELECT name FROM work_leases") }.count
            let there = try await second.read { try $0.query("SELECT name FROM work_leases") }.count
            #expect(here == index + 1)
            #expect(there == index + 1)
        }
        await database.close()
        await second.close()
    }

    @Test("two handles incrementing one counter concurrently lose no update (writes are serialised)", arguments: engines)
    func serialisedWrites(engine: SQLEngine) async throws {
        let (first, open) = try await Self.fresh(engine)
        let second = try await open()
        try await first.write { try $0.execute("INSERT INTO work_leases (name, owner, lease_until) VALUES ('n', 'x', 0)") }
        // Read, then write what was read plus one: without one writer at a time, two of these
        // interleave and one increment is lost.
        @Sendable func increment(_ database: Database) async throws {
            try await database.write { db in
                let value = try db.queryOne("SELECT lease_until FROM work_leases WHERE name = 'n'")?.labelled("w").int64("lease_until") ?? -1
                try db.execute("UPDATE work_leases SET lease_until = ? WHERE name = 'n'", [value + 1])
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for handle in [first, second] {
                group.addTask { for _ in 0..<50 { try await increment(handle) } }
            }
            try await group.waitForAll()
        }
        let total = try await first.read { try $0.queryOne("SELECT lease_until FROM work_leases WHERE name = 'n'")?.labelled("w").int64("lease_until") }
        #expect(total == 100)
        await first.close()
        await second.close()
    }

    @Test("leases: one owner at a time, taken over after expiry, renewable by their owner", arguments: engines)
    func leases(engine: SQLEngine) async throws {
        let (a, open) = try await Self.fresh(engine)
        let b = try await open()
        #expect(try await a.write { try LeasesRepository.takeWork("sweep", owner: "A", until: 1_000, now: 0, in: $0) })
        #expect(try await b.write { try LeasesRepository.takeWork("sweep", owner: "B", until: 1_500, now: 500, in: $0) } == false)
        #expect(try await a.write { try LeasesRepository.takeWork("sweep", owner: "A", until: 2_000, now: 900, in: $0) })
        #expect(try await b.write { try LeasesRepository.takeWork("sweep", owner: "B", until: 3_000, now: 2_000, in: $0) })
        let holder = try await a.read { try LeasesRepository.workLease("sweep", in: $0) }
        #expect(holder?.owner == "B" && holder?.until == 3_000)
        await a.close()
        await b.close()
    }

    @Test("replicas migrating at once on PostgreSQL apply each migration once")
    func concurrentMigrations() async throws {
        guard TestPostgres.adminURL != nil else { return }  // one SQLite file has one process
        let url = try PostgresURL(try await TestPostgres.databaseURL(for: UUID().uuidString))
        let migrator = try Migrator(directory: Self.postgresMigrations)
        let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let database = try await Database(postgres: url)
                    let report = try await database.migrate(migrator)
                    await database.close()
                    return report
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.allSatisfy { $0.version == migrator.latestVersion })
        #expect(reports.map(\.applied.count).sorted() == [0, 0, migrator.migrations.count])
    }

    @Test("a dropped connection costs at most one failed call (a storage error); then a new connection serves")
    func reconnects() async throws {
        guard TestPostgres.adminURL != nil else { return }
        let (database, _) = try await Self.fresh(.postgres)
        let pidQuery = "SELECT pg_backend_pid() AS pid"
        // The writer's connection (reads take turns over other connections).
        let pid = try #require(try await database.write { try $0.queryOne(pidQuery)?.labelled("p").int64("pid") })
        let (admin, _) = try await Self.fresh(.postgres)
        _ = try await admin.read { try $0.query("SELECT pg_terminate_backend(CAST(? AS INTEGER))", [pid]) }
        // Whether the close is noticed before the next call (then it reconnects at once) is a
        // race; if it is not, that one call fails with a storage error, never anything else.
        do {
            _ = try await database.write { try $0.query("SELECT 1 AS one") }
        } catch {
            #expect(error is PostgresError)
        }
        let newPID = try await database.write { try $0.queryOne(pidQuery)?.labelled("p").int64("pid") }
        #expect(newPID != nil && newPID != pid)
        #expect(await database.isReachable())
        await database.close()
        await admin.close()
    }

    @Test("sslmode: disable is plain TCP; require and verify-full (trusting the server's CA file) are TLS; verify-full trusting nothing is refused")
    func sslModes() async throws {
        guard let admin = TestPostgres.adminURL, let ca = TestPostgres.certificateAuthority else {
            if TestPostgres.isRequired { Issue.record("scripts/test starts PostgreSQL with TLS: CLAIMGATE_TEST_POSTGRES_CA is missing") }
            return
        }
        func url(_ query: String) throws -> PostgresURL {
            try PostgresURL(admin.replacingOccurrences(of: "sslmode=disable", with: query))
        }
        let sslQuery = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        for (query, tls) in [("sslmode=disable", false), ("sslmode=require", true), ("sslmode=verify-full&sslrootcert=\(ca)", true)] {
            let database = try await Database(postgres: try url(query))
            let ssl = try await database.write { try $0.queryOne(sslQuery)?.labelled("pg_stat_ssl").int("ssl") }
            #expect(ssl == (tls ? 1 : 0), "\(query)")
            await database.close()
        }
        // A self-signed certificate the client was not told to trust: refused, with a storage error.
        await #expect(throws: PostgresError.self) { _ = try await Database(postgres: try url("sslmode=verify-full")) }
    }
}
