import Synchronization

/// How the database file is tuned at open.
public struct DatabaseOptions: Sendable {
    /// `FULL` syncs the WAL on every commit (no acknowledged write is lost on power failure);
    /// `NORMAL` is faster but may lose the last commits on power loss (never on a process crash).
    public var synchronous: String = "FULL"
    /// How long a statement waits on a lock before `SQLITE_BUSY`.
    public var busyTimeoutMilliseconds: Int = 5000
    /// How many read-only connections ``Database/readInline(_:)`` may open (one per thread that
    /// reads inline at a time; the HTTP server's polling threads are one per core).
    public var inlineReaders: Int = 4
    /// When the WAL is copied back into the database file (see ``CheckpointPolicy``).
    public var checkpoints = CheckpointPolicy()
    /// Whether the WAL's writes go through the batching VFS (`wal_batch.c`): a commit's frames
    /// reach the file in one `write(2)` (per 64 KiB) instead of two per page, at the same point of the commit
    /// and with the same errors. Off only to compare (`CLAIMGATE_DATABASE_WAL_BATCHING=false`).
    public var batchWALWrites = true
    /// Told of storage failures that no caller sees (a checkpoint between requests): count and
    /// log them. Called on the SQLite thread; must not block.
    public var onBackgroundFailure: (@Sendable (any Error) -> Void)?

    public init(synchronous: String = "FULL", busyTimeoutMilliseconds: Int = 5000, inlineReaders: Int = 4,
                checkpoints: CheckpointPolicy = CheckpointPolicy(), batchWALWrites: Bool = true,
                onBackgroundFailure: (@Sendable (any Error) -> Void)? = nil) {
        self.synchronous = synchronous
        self.batchWALWrites = batchWALWrites
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.inlineReaders = inlineReaders
        self.checkpoints = checkpoints
        self.onBackgroundFailure = onBackgroundFailure
    }
}

/// The SQLite engine of ``Database``: the service's one read-write SQLite connection, confined to
/// an actor that runs on a thread of its own (plus, for ``readInline(_:)``, read-only connections
/// that can neither write nor checkpoint: see ``SQLiteReadPool``).
///
/// One writing connection means one writer and no cross-connection WAL races (Debian's SQLite
/// 3.40 has the WAL-reset bug that needs two connections that write or checkpoint). Every write runs in `BEGIN IMMEDIATE`, so a
/// transaction never upgrades from reader to writer half-way; every read runs in
/// `BEGIN DEFERRED`, so its statements see one snapshot.
///
/// The actor's jobs run on a dedicated thread (see ``SQLiteExecutor`` for why a thread and not a
/// dispatch queue): sqlite3 calls block — on `fsync` at every commit under `synchronous=FULL`, on
/// the busy timeout, on disk reads — and that must never park a thread of Swift's cooperative
/// pool. Opening (``init(path:options:)``) still runs on the caller's thread: it happens once, at
/// start, before anything else waits on the pool.
public actor SQLiteDatabase {
    private let connection: SQLiteConnection
    private let executor: SQLiteExecutor
    /// Read-only connections for ``readInline(_:)`` (none for an in-memory database, which
    /// another connection could not see).
    private nonisolated let readers: SQLiteReadPool?
    /// `synchronous` as configured, and as the connection has it now (see `setSynchronous`).
    private let synchronous: String
    private var currentSynchronous: String
    /// Raised after every write transaction ends (committed or not) and every migration: a
    /// value read while it stayed the same is still current (see ``Database/changeCount``).
    private nonisolated let writes = Atomic<UInt64>(0)
    public nonisolated let path: String
    private let checkpoints: CheckpointPolicy
    private let onBackgroundFailure: (@Sendable (any Error) -> Void)?
    /// The WAL's frame count after the last commit (nil for an in-memory database).
    private nonisolated let wal: WALMonitor?
    /// A checkpoint is waiting for an idle moment (see ``CheckpointPolicy``).
    private var checkpointPending = false
    private var closed = false

    /// The name of the thread every ``Database`` runs its SQLite calls on (Linux caps thread names
    /// at 15 bytes). It shows in `top -H`, `gdb` and `perf`.
    public static let threadName = SQLiteExecutor.threadName

    /// Runs the actor on its own SQLite thread instead of the cooperative pool.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// The SQLite thread as a task executor (see ``Database/taskExecutor``).
    public nonisolated var taskExecutor: any TaskExecutor { executor }

    /// Opens the file (creating it and its WAL), and switches on WAL, foreign keys and the busy timeout.
    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws {
        guard ["FULL", "NORMAL", "EXTRA"].contains(options.synchronous.uppercased()) else {
            throw SQLiteError(code: 1, message: "synchronous must be FULL, NORMAL or EXTRA")
        }
        let connection = try SQLiteConnection(path: path, batchWALWrites: options.batchWALWrites)
        if path != ":memory:" {
            let mode = try connection.queryOne("PRAGMA journal_mode=WAL")?.labelled("journal_mode").optionalText("journal_mode")
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(code: 1, message: "could not switch \(path) to WAL (got \(mode ?? "nothing"))")
            }
        }
        try connection.execute(script: """
            PRAGMA synchronous=\(options.synchronous.uppercased());
            PRAGMA foreign_keys=ON;
            PRAGMA busy_timeout=\(max(0, options.busyTimeoutMilliseconds));
            """)
        let report = options.onBackgroundFailure
        if path != ":memory:" {
            let monitor = WALMonitor(ceilingFrames: options.checkpoints.ceilingFrames) { report?($0) }
            connection.monitorWAL(monitor)
            wal = monitor
        } else {
            wal = nil
        }
        self.connection = connection
        self.executor = SQLiteExecutor(threadName: SQLiteExecutor.threadName)
        self.path = path
        checkpoints = options.checkpoints
        onBackgroundFailure = report
        synchronous = options.synchronous.uppercased()
        currentSynchronous = synchronous
        readers = path == ":memory:" ? nil : SQLiteReadPool(path: path, capacity: options.inlineReaders)
    }

    /// Frames in the WAL after the last commit: 0 after a complete checkpoint, nil in memory.
    public nonisolated var walFrames: Int? { wal?.frames.load(ordering: .relaxed) }

    /// How many write transactions have ended so far (see ``Database/changeCount``).
    public nonisolated var changeCount: UInt64 { writes.load(ordering: .sequentiallyConsistent) }

    /// Runs the read `body` at once on the caller's thread, on a read-only connection of its own;
    /// nil when there is none free (see ``SQLiteReadPool``). For short reads of a few indexed
    /// rows only: the caller's thread waits for the disk if the pages are not cached.
    public nonisolated func readInline<T>(_ body: (any SQLSession) throws -> T) throws -> T? {
        try readers?.read(body)
    }

    /// Runs `body` inside `BEGIN DEFERRED … COMMIT`, so every statement of it reads the same
    /// snapshot (a list and its count cannot disagree because a write landed in between). A
    /// thrown error rolls back. Meant for reads: a write in `body` would upgrade the transaction
    /// half-way, which is what ``write(_:)`` avoids.
    public func read<T: Sendable>(_ body: (any SQLSession) throws -> T) throws -> T {
        try transaction("BEGIN DEFERRED", body)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; any thrown error rolls everything back.
    @discardableResult
    public func write<T: Sendable>(durability: Durability = .synced, _ body: (any SQLSession) throws -> T) throws -> T {
        // Counted after the transaction ends, never before its commit: a reader that saw the old
        // count cannot have cached anything this write changed without seeing the count move.
        defer { writes.add(1, ordering: .sequentiallyConsistent) }
        try endAbandonedTransaction()
        try setSynchronous(durability == .deferred ? "NORMAL" : synchronous)
        defer { checkpointWhenIdle() }
        return try transaction("BEGIN IMMEDIATE", body)
    }

    /// Asks the SQLite thread for a checkpoint at its next idle moment once the WAL is big enough
    /// (see ``CheckpointPolicy``). It runs there between jobs, so never during a transaction,
    /// and isolated to this actor: the thread is the actor's executor.
    private func checkpointWhenIdle() {
        guard !checkpointPending, let frames = wal?.frames.load(ordering: .relaxed), frames >= checkpoints.idleFrames else { return }
        checkpointPending = true
        executor.whenIdle(for: checkpoints.idleDelay) { [weak self] in
            self?.assumeIsolated { $0.checkpointNow() }
        }
    }

    private func checkpointNow() {
        checkpointPending = false
        guard !closed, let frames = wal?.frames.load(ordering: .relaxed), frames >= checkpoints.idleFrames else { return }
        do {
            try endAbandonedTransaction()
            // Not all copied (a reader still needs old frames): the next write asks again.
            _ = try connection.checkpoint()
        } catch {
            onBackgroundFailure?(error)
        }
    }

    /// Switches the connection's `synchronous` when it differs. A deferred write leaves it at
    /// `NORMAL` (no sync at commit, WAL mode) until the next synced write switches it back
    /// *before* that write begins — so a failure to switch back fails that write, never lets it
    /// commit unsynced. Under `NORMAL` the first and only sync of the WAL is the next synced
    /// commit's, which covers every frame written before it.
    private func setSynchronous(_ wanted: String) throws {
        guard wanted != currentSynchronous, synchronous != "NORMAL" else { return }
        try connection.execute("PRAGMA synchronous=\(wanted)")
        currentSynchronous = wanted
    }

    /// `PRAGMA quick_check`: `ok`, or the first problem found.
    public func quickCheck() throws -> String {
        try endAbandonedTransaction()
        return try connection.queryOne("PRAGMA quick_check")?.labelled("quick_check").text("quick_check") ?? "no answer"
    }

    /// Whether the database answers a trivial query.
    public func isReachable() -> Bool {
        // The error is dropped on purpose: this is a yes/no probe (health checks), and the
        // operations that fail for the same reason report it with their own errors.
        (try? connection.queryOne("SELECT 1")?[0].int) == 1
    }

    /// Applies pending migrations (see ``Migrator``) and returns the version reached.
    @discardableResult
    public func migrate(_ migrator: Migrator) throws -> MigrationReport {
        try endAbandonedTransaction()
        defer { writes.add(1, ordering: .sequentiallyConsistent) }
        return try migrator.apply(to: connection)
    }

    /// Whether a transaction is open between calls, which only happens when a rollback failed
    /// (the next call rolls it back first). For tests and diagnostics.
    public var isInTransaction: Bool { connection.isInTransaction }

    /// Closes the connection; later calls fail.
    public func close() {
        closed = true
        readers?.close()
        connection.close()
    }

    // MARK: Fault injection (test hook)

    /// Test hook: the next `count` statement executions on this database — `BEGIN`, `COMMIT` and
    /// `ROLLBACK` included — fail with an ``SQLiteError`` of extended code `code` (e.g.
    /// `SQLITE_FULL` = 13, `SQLITE_IOERR` = 10) whose message says it was injected. Afterwards
    /// everything works again. See ``SQLiteConnection/injectFaults(_:code:)``.
    public func injectFaults(_ count: Int, code: Int32) {
        connection.injectFaults(count, code: code)
        readers?.setPaused(count > 0)
        // The disk "changed": what was read before must not be reused as if it were current.
        writes.add(1, ordering: .sequentiallyConsistent)
    }

    /// Test hook: cancels the injected faults still pending.
    public func clearFaults() {
        connection.clearFaults()
        readers?.setPaused(false)
    }

    // MARK: Transactions

    /// `BEGIN`, `COMMIT` and the `synchronous` switch go through the statement cache like any
    /// other statement: parsing them anew cost every provision's two transactions ~15 µs.
    private func transaction<T>(_ begin: String, _ body: (any SQLSession) throws -> T) throws -> T {
        try endAbandonedTransaction()
        try connection.execute(begin)
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            rollBack()
            throw error
        }
    }

    /// Ends the transaction of a failed call, if it is still open.
    private func rollBack() {
        // SQLite may already have rolled back by itself (it does on some SQLITE_FULL, IOERR,
        // BUSY and NOMEM failures); a ROLLBACK then would only fail with "no transaction".
        guard connection.isInTransaction else { return }
        do {
            try connection.execute(script: "ROLLBACK")
        } catch {
            // The caller gets the error that made us roll back, not this one, and that is right:
            // the first error is the cause and the one callers act on (a constraint to report, a
            // full disk to alert on); a failing ROLLBACK is a consequence of the same trouble.
            // This error is not lost either: the transaction stays open, so the next call on this
            // database tries the ROLLBACK again first (`endAbandonedTransaction`) and throws if it
            // still fails. Until then nothing of the failed transaction is committed.
        }
    }

    /// Rolls back a transaction a previous call could not end (its ROLLBACK failed). Every
    /// transaction begun here ends within the same call, and calls do not interleave on an
    /// actor with synchronous methods, so an open transaction at the start of a call is always
    /// such a leftover: never work in progress.
    private func endAbandonedTransaction() throws {
        guard connection.isInTransaction else { return }
        try connection.execute(script: "ROLLBACK")
    }
}
