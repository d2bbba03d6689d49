import Synchronization

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
/// never one of the cooperative pool). It writes; reads go to ``readers`` (``PostgresReader``,
/// each its own connection and thread), so a page view never waits behind a write's round trips.
public actor PostgresDatabase {
    private let session: PostgresSession
    private let executor: SQLiteExecutor
    public nonisolated let location: String
    /// The read connections, taken in turn.
    nonisolated let readers: [PostgresReader]
    private nonisolated let nextReader = Atomic<Int>(0)
    /// How many read connections each replica opens (plus one for writes).
    public static let readConnections = 4

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
        readers = (0..<Self.readConnections).map { _ in PostgresReader(configuration) }
    }

    /// Connects; fails if PostgreSQL cannot be reached (a service without its state should not start).
    public func open() throws {
        _ = try session.connected()
    }

    /// Connects the read connections too (at start, so a bad URL fails the start, not a page view).
    public nonisolated func openReaders() async throws {
        for reader in readers { try await reader.open() }
    }

    /// Runs `body` on the next read connection, in a `REPEATABLE READ` transaction (one snapshot).
    public nonisolated func read<T: Sendable>(_ body: sending (any SQLSession) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[index % readers.count].read(body)
    }

    @discardableResult
    public func write<T: Sendable>(durability: Durability = .synced, _ body: (any SQLSession) throws -> T) throws -> T {
        guard durability == .deferred else { return try session.transaction("BEGIN", lock: Self.writeLock, body) }
        // This transaction's commit returns before its WAL is flushed; a later synchronous commit
        // (or the WAL writer, within 3 × wal_writer_delay) flushes it with everything before it.
        return try session.transaction("BEGIN", lock: Self.writeLock) { session in
            try session.execute(script: "SET LOCAL synchronous_commit TO OFF")
            return try body(session)
        }
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

    public func close() async {
        session.close()
        for reader in readers { await reader.close() }
    }

    /// The next `count` statements of every connection (the writer's and each reader's) fail.
    public func injectFaults(_ count: Int, code: Int32) async {
        session.injectFaults(count, code: code)
        for reader in readers { await reader.injectFaults(count, code: code) }
    }

    public func clearFaults() async {
        session.clearFaults()
        for reader in readers { await reader.clearFaults() }
    }

    private func endAbandonedTransaction() throws {
        try session.endAbandonedTransaction()
    }
}

/// One read connection of a ``PostgresDatabase``, on a thread of its own.
actor PostgresReader {
    private let session: PostgresSession
    private let executor: SQLiteExecutor

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(_ configuration: PostgresURL) {
        session = PostgresSession(configuration: configuration)
        executor = SQLiteExecutor(threadName: "claimgate.pgr")
    }

    func open() throws { _ = try session.connected() }

    func read<T: Sendable>(_ body: (any SQLSession) throws -> T) throws -> T {
        try session.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ", lock: nil, body)
    }

    func close() { session.close() }
    func injectFaults(_ count: Int, code: Int32) { session.injectFaults(count, code: code) }
    func clearFaults() { session.clearFaults() }
}
