/// How the database file is tuned at open.
public struct DatabaseOptions: Sendable {
    /// `FULL` syncs the WAL on every commit (no acknowledged write is lost on power failure);
    /// `NORMAL` is faster but may lose the last commits on power loss (never on a process crash).
    public var synchronous: String = "FULL"
    /// How long a statement waits on a lock before `SQLITE_BUSY`.
    public var busyTimeoutMilliseconds: Int = 5000

    public init(synchronous: String = "FULL", busyTimeoutMilliseconds: Int = 5000) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }
}

/// The service's one SQLite connection, confined to an actor.
///
/// One connection means one writer and no cross-connection WAL races (Debian's SQLite 3.40 has the
/// WAL-reset bug that needs two connections). Every write runs in `BEGIN IMMEDIATE`, so a
/// transaction never upgrades from reader to writer half-way.
public actor Database {
    private let connection: SQLiteConnection
    public nonisolated let path: String

    /// Opens the file (creating it and its WAL), and switches on WAL, foreign keys and the busy timeout.
    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws {
        let connection = try SQLiteConnection(path: path)
        guard ["FULL", "NORMAL", "EXTRA"].contains(options.synchronous.uppercased()) else {
            throw SQLiteError(code: 1, message: "synchronous must be FULL, NORMAL or EXTRA")
        }
        if path != ":memory:" {
            let mode = try connection.queryOne("PRAGMA journal_mode=WAL")?[0].string
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(code: 1, message: "could not switch \(path) to WAL (got \(mode ?? "nothing"))")
            }
        }
        try connection.execute(script: """
            PRAGMA synchronous=\(options.synchronous.uppercased());
            PRAGMA foreign_keys=ON;
            PRAGMA busy_timeout=\(max(0, options.busyTimeoutMilliseconds));
            """)
        self.connection = connection
        self.path = path
    }

    /// Runs `body` outside any explicit transaction (reads, or a single self-contained statement).
    public func read<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try body(connection)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any thrown error rolls everything back.
    public func write<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.execute(script: "BEGIN IMMEDIATE")
        do {
            let result = try body(connection)
            try connection.execute(script: "COMMIT")
            return result
        } catch {
            if connection.isInTransaction { try? connection.execute(script: "ROLLBACK") }
            throw error
        }
    }

    /// `PRAGMA quick_check`: `ok`, or the first problem found.
    public func quickCheck() throws -> String {
        try connection.queryOne("PRAGMA quick_check")?[0].string ?? "no answer"
    }

    /// Whether the database answers a trivial query.
    public func isReachable() -> Bool {
        (try? connection.queryOne("SELECT 1")?[0].int) == 1
    }

    /// Applies pending migrations (see ``Migrator``) and returns the version reached.
    @discardableResult
    public func migrate(_ migrator: Migrator) throws -> MigrationReport {
        try migrator.apply(to: connection)
    }

    /// Closes the connection; later calls fail.
    public func close() {
        connection.close()
    }
}
