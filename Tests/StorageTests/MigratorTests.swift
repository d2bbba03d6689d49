import Foundation
import Storage
import TestSupport
import Testing

@Suite("SQLite storage and migrations")
struct MigratorTests {
    /// The repository's real migrations directory.
    static let shipped = TestPaths.packageRoot.appendingPathComponent("migrations").path

    func write(_ files: [String: String]) throws -> String {
        let directory = TestPaths.temporaryDirectory().appendingPathComponent("migrations")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory.path
    }

    @Test("a fresh database and an already-migrated one both end at the latest version")
    func freshAndMigrated() async throws {
        let migrator = try Migrator(directory: MigratorTests.shipped)
        #expect(migrator.latestVersion >= 1)
        let path = TestPaths.temporaryDirectory().appendingPathComponent("db.sqlite").path
        let fresh = try Database(path: path)
        let first = try await fresh.migrate(migrator)
        #expect(first.version == migrator.latestVersion)
        #expect(first.applied == migrator.migrations.map(\.version))
        await fresh.close()

        let reopened = try Database(path: path)
        let second = try await reopened.migrate(migrator)
        #expect(second.version == migrator.latestVersion)
        #expect(second.applied.isEmpty)
        let journal = try await reopened.read { try $0.queryOne("PRAGMA journal_mode")?[0].string }
        #expect(journal == "wal")
        let foreignKeys = try await reopened.read { try $0.queryOne("PRAGMA foreign_keys")?[0].int }
        #expect(foreignKeys == 1)
    }

    @Test("migrations apply in version order, and a later file applies on the next run")
    func ordering() async throws {
        let directory = try write([
            "0002_b.sql": "INSERT INTO t (v) VALUES ('second');",
            "0001_a.sql": "CREATE TABLE t (v TEXT NOT NULL) STRICT; INSERT INTO t (v) VALUES ('first');",
        ])
        let database = try Database(path: ":memory:")
        let report = try await database.migrate(Migrator(directory: directory))
        #expect(report.applied == [1, 2])
        try "INSERT INTO t (v) VALUES ('third');".write(
            toFile: directory + "/0003_c.sql", atomically: true, encoding: .utf8)
        let next = try await database.migrate(Migrator(directory: directory))
        #expect(next.applied == [3])
        #expect(next.version == 3)
        let values = try await database.read { try $0.query("SELECT v FROM t ORDER BY rowid").map { $0["v"].string ?? "" } }
        #expect(values == ["first", "second", "third"])
    }

    @Test("a failing migration rolls back entirely and stops at the previous version")
    func failureRollsBack() async throws {
        let directory = try write([
            "0001_a.sql": "CREATE TABLE t (v INTEGER NOT NULL) STRICT;",
            "0002_bad.sql": "INSERT INTO t (v) VALUES (1); INSERT INTO t (v) VALUES (NULL);",
        ])
        let database = try Database(path: ":memory:")
        await #expect(throws: MigrationError.self) { try await database.migrate(Migrator(directory: directory)) }
        let rows = try await database.read { try $0.queryOne("SELECT COUNT(*) FROM t")?[0].int }
        #expect(rows == 0)
        let version = try await database.read { try $0.queryOne("SELECT MAX(version) FROM schema_migrations")?[0].int }
        #expect(version == 1)
    }

    @Test("an applied migration that was edited afterwards is refused")
    func editedMigration() async throws {
        let directory = try write(["0001_a.sql": "CREATE TABLE t (v INTEGER) STRICT;"])
        let path = TestPaths.temporaryDirectory().appendingPathComponent("db.sqlite").path
        let database = try Database(path: path)
        try await database.migrate(Migrator(directory: directory))
        try "CREATE TABLE t (v TEXT) STRICT;".write(toFile: directory + "/0001_a.sql", atomically: true, encoding: .utf8)
        await #expect(throws: MigrationError.modified(version: 1, name: "0001_a")) {
            try await database.migrate(Migrator(directory: directory))
        }
    }

    @Test("bad file names and a missing directory are clear errors")
    func badInputs() throws {
        #expect(throws: MigrationError.badFileName("init.sql")) { try Migrator(directory: try write(["init.sql": ""])) }
        #expect(throws: MigrationError.directoryMissing("/nonexistent/migrations")) {
            try Migrator(directory: "/nonexistent/migrations")
        }
    }

    @Test("a write transaction that throws leaves nothing behind")
    func transactionRollback() async throws {
        let database = try Database(path: ":memory:")
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER PRIMARY KEY) STRICT") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO t (v) VALUES (?)", [1])
                throw Boom()
            }
        }
        let count = try await database.read { try $0.queryOne("SELECT COUNT(*) FROM t")?[0].int }
        #expect(count == 0)
        await #expect(throws: SQLiteError.self) {
            try await database.write { connection in
                try connection.execute("INSERT INTO t (v) VALUES (?)", [2])
                try connection.execute("INSERT INTO t (v) VALUES (?)", [2])
            }
        }
        #expect(try await database.read { try $0.queryOne("SELECT COUNT(*) FROM t")?[0].int } == 0)
    }

    @Test("values of every type round-trip through binds and rows")
    func valueRoundTrip() async throws {
        let database = try Database(path: ":memory:")
        let row = try await database.read { connection in
            try connection.queryOne("SELECT ? AS i, ? AS d, ? AS s, ? AS b, ? AS n", [
                Int64(1) << 40, 2.5, "héllo", [UInt8]([0, 1, 255]), String?.none,
            ])
        }
        #expect(row?["i"].int64 == Int64(1) << 40)
        #expect(row?["d"].double == 2.5)
        #expect(row?["s"].string == "héllo")
        #expect(row?["b"].bytes == [0, 1, 255])
        #expect(row?["n"].isNull == true)
    }
}
