/// When a committed write is on disk.
public enum Durability: Sendable {
    /// On disk before the commit returns (SQLite `synchronous` as configured, `FULL` by default;
    /// PostgreSQL `synchronous_commit` as configured).
    case synced
    /// Committed and visible — and safe from a process crash — when the commit returns, but on
    /// disk only with the next synced commit of this process (the log is written in order, so
    /// syncing it syncs everything before), or within a second on PostgreSQL. A power failure
    /// in between loses it. For a write that nobody has been told about yet and whose loss the
    /// service recovers from by itself: one disk flush less on a request's path.
    case deferred
}

/// The service's state: one engine behind one face, so the product writes its transactions once.
///
/// SQLite (``SQLiteDatabase``, a file) is the embedded default for one node; PostgreSQL
/// (``PostgresDatabase``, selected by a `postgres://` URL) holds the state of several replicas.
/// Both run their transactions on a storage thread of their own, and both give a write the same
/// meaning: nothing else writes between its first statement and its commit (SQLite has one writer;
/// on PostgreSQL every write transaction first takes one transaction-scoped advisory lock, so
/// writers of all replicas are serialised exactly as on SQLite — see ``PostgresDatabase``).
public final class Database: Sendable {
    enum Engine: Sendable {
        case sqlite(SQLiteDatabase)
        case postgres(PostgresDatabase)
    }

    let engine: Engine

    /// The name of the thread every engine runs its SQL calls on. It shows in `top -H`, `gdb`, `perf`.
    public static let threadName = SQLiteExecutor.threadName

    /// Opens (creating if needed) the SQLite file at `path`; `":memory:"` for a private one.
    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws {
        engine = .sqlite(try SQLiteDatabase(path: path, options: options))
    }

    /// Connects to PostgreSQL at `url` (`postgres://user:password@host:port/database?sslmode=…`).
    public init(postgres configuration: PostgresURL) async throws {
        let database = PostgresDatabase(configuration)
        try await database.open()
        try await database.openReaders()
        engine = .postgres(database)
    }

    /// The SQLite file, or the PostgreSQL address without credentials.
    public var path: String { location }

    /// Which engine this is.
    public var kind: SQLEngine {
        switch engine {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Where the state lives, for logs: the file, or the PostgreSQL address without credentials.
    public var location: String {
        switch engine {
        case .sqlite(let db): db.path
        case .postgres(let db): db.location
        }
    }

    /// Runs `body` in a read transaction: every statement of it sees one snapshot.
    public func read<T: Sendable>(_ body: sending (any SQLSession) throws -> T) async throws -> T {
        switch engine {
        case .sqlite(let db): try await db.read(body)
        case .postgres(let db): try await db.read(body)
        }
    }

    /// Runs the read `body` at once on the caller's thread when the engine can do that without
    /// waiting on anything but the local disk — SQLite, on a read-only connection of its own
    /// (see ``SQLiteDatabase/readInline(_:)``) — else returns nil: PostgreSQL (every statement is
    /// a network round trip), an in-memory database, every read connection busy, or the fault
    /// test hook armed. The caller then uses ``read(_:)``. Sees every write committed before it.
    public func readInline<T>(_ body: (any SQLSession) throws -> T) throws -> T? {
        switch engine {
        case .sqlite(let db): try db.readInline(body)
        case .postgres: nil
        }
    }

    /// A count that moves whenever this process's writes may have changed the state — after
    /// every write transaction and migration — so that something derived from a read made while
    /// it stayed put is still current. SQLite only (it is the one writer of its file); nil on
    /// PostgreSQL, where other replicas write too.
    public var changeCount: UInt64? {
        switch engine {
        case .sqlite(let db): db.changeCount
        case .postgres: nil
        }
    }

    /// The writer's thread as a task executor (SE-0417), for work that is mostly this engine's
    /// writes: a task preferring it runs its own code on that thread, so each ``write(_:)`` runs
    /// there without a hand-off and back, and whatever the task awaits resumes it there directly.
    /// SQLite only; nil on PostgreSQL, whose storage threads wait on the network for every
    /// statement. Anything else run there queues behind the writes (and they behind it), so it
    /// suits a latency-bound caller while writes are few (see `ProvisioningService`).
    public var taskExecutor: (any TaskExecutor)? {
        switch engine {
        case .sqlite(let db): db.taskExecutor
        case .postgres: nil
        }
    }

    /// Frames in SQLite's WAL after the last commit (0 once checkpointed; see
    /// ``CheckpointPolicy``); nil on PostgreSQL and in memory.
    public var walFrames: Int? {
        switch engine {
        case .sqlite(let db): db.walFrames
        case .postgres: nil
        }
    }

    /// Runs `body` in a write transaction (see the type's comment); any thrown error rolls back.
    /// - Parameter durability: `.deferred` only for a write whose loss on power failure is
    ///   covered otherwise (see ``Durability``).
    @discardableResult
    public func write<T: Sendable>(durability: Durability = .synced, _ body: sending (any SQLSession) throws -> T) async throws -> T {
        switch engine {
        case .sqlite(let db): try await db.write(durability: durability, body)
        case .postgres(let db): try await db.write(durability: durability, body)
        }
    }

    /// `ok`, or the first problem the engine's integrity check found.
    public func quickCheck() async throws -> String {
        switch engine {
        case .sqlite(let db): try await db.quickCheck()
        case .postgres(let db): try await db.check()
        }
    }

    /// Whether the engine answers a trivial query.
    public func isReachable() async -> Bool {
        switch engine {
        case .sqlite(let db): await db.isReachable()
        case .postgres(let db): await db.isReachable()
        }
    }

    /// Applies pending migrations and returns the version reached (on PostgreSQL under an advisory
    /// lock, so replicas starting together apply each migration once).
    @discardableResult
    public func migrate(_ migrator: Migrator) async throws -> MigrationReport {
        switch engine {
        case .sqlite(let db): try await db.migrate(migrator)
        case .postgres(let db): try await db.migrate(migrator)
        }
    }

    /// Whether a transaction is open between calls (only after a failed rollback). For tests.
    public var isInTransaction: Bool {
        get async {
            switch engine {
            case .sqlite(let db): await db.isInTransaction
            case .postgres(let db): await db.isInTransaction
            }
        }
    }

    /// Closes the connection; later calls fail.
    public func close() async {
        switch engine {
        case .sqlite(let db): await db.close()
        case .postgres(let db): await db.close()
        }
    }

    /// Test hook: the next `count` statements fail as if the disk were full (`code` is SQLite's
    /// extended code, e.g. `SQLITE_FULL` = 13, `SQLITE_IOERR` = 10; PostgreSQL fails them with
    /// the matching SQLSTATE: `53100` disk full, `58030` I/O error). See ``SQLiteConnection/injectFaults(_:code:)``.
    public func injectFaults(_ count: Int, code: Int32) async {
        switch engine {
        case .sqlite(let db): await db.injectFaults(count, code: code)
        case .postgres(let db): await db.injectFaults(count, code: code)
        }
    }

    /// Test hook: cancels the injected faults still pending.
    public func clearFaults() async {
        switch engine {
        case .sqlite(let db): await db.clearFaults()
        case .postgres(let db): await db.clearFaults()
        }
    }
}
