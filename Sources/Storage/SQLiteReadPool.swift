import CSQLite
import Synchronization

/// Read-only SQLite connections for reads made at once on the caller's thread (see
/// ``Database/readInline(_:)``): the HTTP server's polling threads answer the most frequent API
/// read (`GET /v1/databases/{id}`: one indexed row from the page cache, tens of microseconds)
/// without four thread hops to the storage thread and back.
///
/// Why this is safe beside the one writer connection of ``SQLiteDatabase``:
/// - In WAL mode readers never block the writer nor wait for it: a read transaction sees the
///   last commit made before it began, so a write acknowledged to a client is visible to the next
///   read here (read-your-writes holds across connections).
/// - The WAL-reset bug of Debian's SQLite 3.40 needs two connections that *write or checkpoint*.
///   These are opened `SQLITE_OPEN_READONLY` with `query_only`: they can do neither (a read-only
///   connection cannot checkpoint, not even when it closes last).
/// - They never wait on a lock: `busy_timeout` is 0, so a reader that meets `SQLITE_BUSY` (WAL
///   recovery after a crash) fails at once and the caller takes the ordinary path.
///
/// At most `capacity` connections are opened, lazily; a caller that finds all of them in use is
/// told so (nil) rather than made to wait.
final class SQLiteReadPool: Sendable {
    /// A connection checked out of the pool: used by one thread at a time.
    private final class Reader: @unchecked Sendable {
        let connection: SQLiteConnection
        init(_ connection: SQLiteConnection) { self.connection = connection }
    }

    private struct State {
        var idle: [Reader] = []
        var opened = 0
        /// Set while the test hook of injected faults is armed: the faults are the writer
        /// connection's, so reads go that way too and meet them.
        var paused = false
        var closed = false
    }

    private let path: String
    private let capacity: Int
    private let state = Mutex(State())

    init(path: String, capacity: Int) {
        self.path = path
        self.capacity = capacity
    }

    /// Runs `body` in `BEGIN DEFERRED … COMMIT` on an idle reader; nil when none is free and no
    /// more may be opened (or the pool is paused). Errors — opening, `BEGIN`, the body — are
    /// thrown to the caller; a reader whose transaction could not be ended is closed, not reused.
    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T? {
        guard let reader = try checkOut() else { return nil }
        var healthy = true
        defer { checkIn(reader, healthy: healthy) }
        let connection = reader.connection
        // Prepared once per connection (`execute(script:)` would parse them on every read).
        try connection.execute("BEGIN DEFERRED")
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            if connection.isInTransaction {
                do { try connection.execute("ROLLBACK") } catch { healthy = false }
            }
            throw error
        }
    }

    /// Pauses (or resumes) inline reads; see `State.paused`.
    func setPaused(_ paused: Bool) {
        state.withLock { $0.paused = paused }
    }

    /// Closes the idle readers and refuses new ones (the database is closing).
    func close() {
        let readers = state.withLock { state -> [Reader] in
            state.closed = true
            state.opened -= state.idle.count
            defer { state.idle = [] }
            return state.idle
        }
        for reader in readers { reader.connection.close() }
    }

    private func checkOut() throws -> Reader? {
        enum Take { case reader(Reader), open, none }
        let take = state.withLock { state -> Take in
            if state.paused || state.closed { return .none }
            if let reader = state.idle.popLast() { return .reader(reader) }
            guard state.opened < capacity else { return .none }
            state.opened += 1
            return .open
        }
        switch take {
        case .reader(let reader): return reader
        case .none: return nil
        case .open:
            do {
                return Reader(try SQLiteConnection(path: path, readOnly: true))
            } catch {
                state.withLock { $0.opened -= 1 }
                throw error
            }
        }
    }

    private func checkIn(_ reader: Reader, healthy: Bool) {
        let keep = state.withLock { state -> Bool in
            guard healthy, !state.closed else { state.opened -= 1; return false }
            state.idle.append(reader)
            return true
        }
        if !keep { reader.connection.close() }
    }
}
