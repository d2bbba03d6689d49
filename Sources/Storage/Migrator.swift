import Foundation

/// One migration file, `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// FNV-1a of the file's bytes: shipped migrations must never change, and this catches it.
    public let checksum: String
}

/// What a migration run did.
public struct MigrationReport: Sendable, Equatable {
    public let applied: [Int]
    public let version: Int
}

/// Failures that stop a migration run (the database is left at the last fully applied version).
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryMissing(String)
    case badFileName(String)
    case duplicateVersion(Int)
    case modified(version: Int, name: String)
    case databaseIsNewer(database: Int, known: Int)
    case failed(version: Int, name: String, message: String)

    public var description: String {
        switch self {
        case .directoryMissing(let path): return "migrations directory not found: \(path)"
        case .badFileName(let name): return "migration file name must look like 0001_name.sql: \(name)"
        case .duplicateVersion(let version): return "two migration files share version \(version)"
        case .modified(let version, let name):
            return "migration \(version) (\(name)) changed after it was applied; add a new migration instead"
        case .databaseIsNewer(let database, let known):
            return "database is at migration \(database) but this build only knows up to \(known)"
        case .failed(let version, let name, let message): return "migration \(version) (\(name)) failed: \(message)"
        }
    }
}

/// Applies plain `.sql` files in version order, each once, each in its own transaction, and
/// records them in `schema_migrations`. The files are the immutable timeline of the schema.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) throws {
        var seen = Set<Int>()
        for migration in migrations where !seen.insert(migration.version).inserted {
            throw MigrationError.duplicateVersion(migration.version)
        }
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Loads every `*.sql` file of a directory.
    public init(directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MigrationError.directoryMissing(directory)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
        let migrations = try names.map { name -> Migration in
            let digits = name.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let version = Int(digits), version > 0,
                  name.dropFirst(digits.count).first == "_" else {
                throw MigrationError.badFileName(name)
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
            return Migration(
                version: version, name: String(name.dropLast(4)),
                sql: String(decoding: data, as: UTF8.self), checksum: Migrator.checksum(Array(data)))
        }
        try self.init(migrations: migrations)
    }

    /// The newest version these files reach.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies what is pending. On PostgreSQL the caller holds the migration advisory lock.
    func apply(to connection: any SQLSession) throws -> MigrationReport {
        switch connection.engine {
        case .sqlite:
            try connection.execute(script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                ) STRICT;
                """)
        case .postgres:
            try connection.execute(script: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at TEXT NOT NULL
                );
                """)
        }
        let begin = connection.engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        let rows = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        var applied: [Int: String] = [:]
        for row in rows {
            let row = row.labelled("schema_migrations")
            applied[try row.int("version")] = try row.text("checksum")
        }
        if let newest = applied.keys.max(), newest > latestVersion {
            throw MigrationError.databaseIsNewer(database: newest, known: latestVersion)
        }
        var done: [Int] = []
        for migration in migrations {
            if let checksum = applied[migration.version] {
                guard checksum == migration.checksum else {
                    throw MigrationError.modified(version: migration.version, name: migration.name)
                }
                continue
            }
            do {
                try connection.execute(script: begin)
                try connection.execute(script: migration.sql)
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    [migration.version, migration.name, migration.checksum, ISO8601DateFormatter().string(from: Date())])
                try connection.execute(script: "COMMIT")
                done.append(migration.version)
            } catch {
                do {
                    try connection.execute(script: "ROLLBACK")
                } catch {
                    // Reported below is the migration's own error, the cause an operator must
                    // fix; the failed ROLLBACK is its consequence (or there was no transaction
                    // left: SQLite ends some on its own). A transaction still open is rolled back
                    // by the next call on the ``Database`` before anything else (which throws if
                    // that fails again), so nothing of the migration commits.
                }
                let message = (error as? SQLiteError)?.message ?? (error as? PostgresError)?.message ?? "\(error)"
                throw MigrationError.failed(version: migration.version, name: migration.name, message: message)
            }
        }
        let version = try connection.queryOne("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")?
            .labelled("schema_migrations").int("version") ?? 0
        return MigrationReport(applied: done, version: version)
    }

    static func checksum(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
