/// The PostgreSQL engine of ``Database``: the state of several replicas.
///
/// What makes several replicas safe is decided here, in one place:
/// - **Writes are serialised across replicas.** Every write transaction first takes
///   `pg_advisory_xact_lock(writeLock)`, so between its first statement and its commit no other
///   replica writes — exactly SQLite's one-writer meaning, which every read-then-write in the
///   product relies on (consume a state, take a claim lock, mark an idempotency key in flight,
///   lease a row of due work). The lock ends with the transaction, also when a replica dies
///   (its connection closes). The price is write concurrency, which Claimgate does not need: its
///   writes are bounded by Prisma's rate limit, tens a minute, each a few milliseconds.
/// - **Reads see one snapshot** (`REPEATABLE READ`), as SQLite's deferred reads do.
/// - **Migrations run once** however many replicas start together: under a session advisory
///   lock (`migrationLock`), each in its own transaction.
///
/// Like ``SQLiteDatabase``, the actor runs on a thread of its own (network waits park that thread,
/// never one of the cooperative pool).
public actor PostgresDatabase {
    private let session: PostgresSession
    private let executor: SQLiteExecutor
    public nonisolated let location: String

    /// The advisory lock key every write transaction takes ("claimgate" in ASCII, truncated).
    static let writeLock: Int64 = 0x636c_6169_6d67_0001
    /// The advisory lock key a migration run holds.
    static let migrationLock: Int64 = 0x636c_6169_6d67_0002

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// Does not connect yet: see ``open()``.
    public init(_ configuration: PostgresURL) {
        session = PostgresSession(configuration: configuration)
        executor = SQLiteExecutor(threadName: "claimgate.pg")
        location = configuration.description
    }

    /// Connects; fails if PostgreSQL cannot be reached (a service without its state should not start).
    public func open() throws {
        _ = try session.connected()
    }

    public func read<T: Sendable>(_ body: (any SQLSession) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ", lock: false, body)
    }

    @discardableResult
    public func write<T: Sendable>(_ body: (any SQLSession) throws -> T) throws -> T {
        try transaction("BEGIN", lock: true, body)
    }

    /// `ok` when the server answers and the schema table is readable.
    public func check() throws -> String {
        try endAbandonedTransaction()
        _ = try session.query("SELECT 1 AS one")
        return "ok"
    }

    public func isReachable() -> Bool {
        // Dropped on purpose: a yes/no probe for health checks; the operations that fail for the
        // same reason report it with their own errors.
        do {
            try endAbandonedTransaction()
            return try session.queryOne("SELECT 1 AS one")?["one"].int == 1
        } catch {
            return false
        }
    }

    @discardableResult
    public func migrate(_ migrator: Migrator) throws -> MigrationReport {
        try endAbandonedTransaction()
        try session.execute("SELECT pg_advisory_lock(?)", [Self.migrationLock])
        defer {
            // Dropped on purpose: an unlock that fails means the connection is gone, and a
            // session lock ends with its connection anyway.
            _ = try? session.execute("SELECT pg_advisory_unlock(?)", [Self.migrationLock])
        }
        return try migrator.apply(to: session)
    }

    /// Runs administrative statements that PostgreSQL refuses inside a transaction (`CREATE
    /// DATABASE`, `VACUUM`). For operators' tools and tests; the service itself never needs it.
    public func executeOutsideTransaction(_ sql: String) throws {
        try endAbandonedTransaction()
        try session.execute(script: sql)
    }

    public var isInTransaction: Bool { session.isInTransaction }

    public func close() { session.close() }

    public func injectFaults(_ count: Int, code: Int32) { session.injectFaults(count, code: code) }

    public func clearFaults() { session.clearFaults() }

    // MARK: Transactions

    private func transaction<T>(_ begin: String, lock: Bool, _ body: (any SQLSession) throws -> T) throws -> T {
        try endAbandonedTransaction()
        try session.execute(script: begin)
        do {
            if lock { try session.execute("SELECT pg_advisory_xact_lock(?)", [Self.writeLock]) }
            let result = try body(session)
            try session.execute(script: "COMMIT")
            return result
        } catch {
            rollBack()
            throw error
        }
    }

    private func rollBack() {
        guard session.isInTransaction else { return }
        do {
            try session.execute(script: "ROLLBACK")
        } catch {
            // The caller gets the error that made us roll back (the cause). If the connection is
            // gone, PostgreSQL rolled back already; otherwise the next call tries again first.
        }
    }

    private func endAbandonedTransaction() throws {
        guard session.isInTransaction else { return }
        try session.execute(script: "ROLLBACK")
    }
}
