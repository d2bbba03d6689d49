import CSQLite
import CSQLiteWAL

/// `SQLITE_TRANSIENT` is a C macro and is not imported: SQLite copies the bound bytes.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection. Not thread-safe by itself: ``Database`` confines it to an actor.
public final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statementCache: [String: OpaquePointer] = [:]
    private var columnCache: [String: [String]] = [:]
    /// Kept for as long as SQLite may call its WAL hook (see ``monitorWAL(_:)``).
    var walMonitor: WALMonitor?
    /// Test hook: how many more statement executions fail, and with which code.
    private var faults: (remaining: Int, code: Int32) = (0, 0)

    /// Opens (creating if needed) the database file at `path`; `":memory:"` for a private in-memory one.
    /// - Parameter readOnly: Open an existing file for reading only, with `query_only` and no busy
    ///   timeout (the readers of ``SQLiteReadPool``): it can neither write nor checkpoint, and
    ///   never waits on a lock.
    /// - Parameter batchWALWrites: Open through the VFS that batches the WAL's writes
    ///   (`wal_batch.c`). Only the writing connection needs it: the others never write the WAL,
    ///   and every VFS here shares the underlying unix VFS's locks and files.
    public init(path: String, readOnly: Bool = false, batchWALWrites: Bool = false) throws {
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        var vfs: UnsafePointer<CChar>?
        if batchWALWrites {
            let registered = cgwal_register()
            guard registered == SQLITE_OK else { throw SQLiteError(code: registered, message: "cannot register the WAL batching VFS") }
            vfs = cgwal_vfs_name()
        }
        let rc = sqlite3_open_v2(path, &db, flags, vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        if readOnly { try execute(script: "PRAGMA query_only=1; PRAGMA busy_timeout=0") }
    }

    deinit { close() }

    /// Finalizes cached statements and closes the connection.
    public func close() {
        for statement in statementCache.values { sqlite3_finalize(statement) }
        statementCache.removeAll()
        columnCache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements with no parameters and no results (schema, pragmas, migrations).
    public func execute(script sql: String) throws {
        try failIfInjected(sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Runs one statement with bound parameters; returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> Int {
        let statement = try prepared(sql, parameters)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        try failIfInjected(sql)
        var rc = sqlite3_step(statement)
        while rc == SQLITE_ROW { rc = sqlite3_step(statement) }
        guard rc == SQLITE_DONE else { throw error(rc, sql) }
        return Int(sqlite3_changes(handle))
    }

    /// Runs a query and returns every row.
    public func query(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> [Row] {
        let statement = try prepared(sql, parameters)
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        try failIfInjected(sql)
        let count = Int(sqlite3_column_count(statement))
        let columns = try columnNames(statement, count: count, sql: sql)
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql) }
            rows.append(Row(columns: columns, values: try (0..<count).map { try column(statement, Int32($0), sql) }))
        }
        return rows
    }

    /// The writes SQLite made to this connection's WAL, and how many reached the file (see
    /// `wal_batch.c`); nil without the batching VFS or before the WAL is opened. For tests and
    /// diagnostics.
    public var walWriteCounts: (requested: Int, written: Int)? {
        guard let handle else { return nil }
        var requested: Int64 = 0, written: Int64 = 0
        guard cgwal_write_counts(handle, &requested, &written) != 0 else { return nil }
        return (Int(requested), Int(written))
    }

    /// The first row of a query, if any.
    public func queryOne(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> Row? {
        try query(sql, parameters).first
    }

    /// The handle, for the engine's own extensions (WAL hook, checkpoints); nil once closed.
    var rawHandle: OpaquePointer? { handle }

    /// The rowid of the last insert on this connection (0 once closed).
    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Whether a transaction is open (never, once closed: SQLite must not see a closed handle).
    public var isInTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    // MARK: - Fault injection (test hook)

    /// Test hook: the next `count` statement executions (``execute(script:)``, ``execute(_:_:)``,
    /// ``query(_:_:)``, so `BEGIN`, `COMMIT` and `ROLLBACK` too) fail with an ``SQLiteError`` of
    /// extended result code `code` whose message says it was injected, without reaching SQLite.
    /// Replaces any faults still pending; a count of 0 clears them.
    ///
    /// It exists so tests can drive the error paths SQLite only takes on a full or failing disk
    /// (`SQLITE_FULL` = 13, `SQLITE_IOERR` = 10…) and check that callers see the error and that
    /// no transaction is left open. A fault fails the statement before it runs, so unlike a real
    /// `SQLITE_FULL` it never makes SQLite roll back on its own; ``Database`` must cope with both.
    public func injectFaults(_ count: Int, code: Int32) {
        faults = (max(0, count), code)
    }

    /// Test hook: cancels the faults still pending.
    public func clearFaults() {
        faults = (0, 0)
    }

    /// Test hook: how many injected faults are still pending.
    public var pendingFaults: Int { faults.remaining }

    // MARK: - Internals

    private var lastMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    private func error(_ rc: Int32, _ sql: String) -> SQLiteError {
        SQLiteError(code: rc, message: lastMessage, sql: sql)
    }

    private func failIfOutOfMemory(_ sql: String) throws {
        let rc = sqlite3_errcode(handle)
        if rc == SQLITE_NOMEM { throw error(rc, sql) }
    }

    private func failIfInjected(_ sql: String) throws {
        guard faults.remaining > 0 else { return }
        faults.remaining -= 1
        throw SQLiteError(
            code: faults.code, message: "injected fault (test hook), \(faults.remaining) more pending", sql: sql,
            isInjected: true)
    }

    /// The statement's column names, made into strings once per statement rather than per query
    /// (a read of one row otherwise made one string per column). A statement that SQLite
    /// re-prepared after a schema change with another shape gets its names read again.
    private func columnNames(_ statement: OpaquePointer, count: Int, sql: String) throws -> [String] {
        if let known = columnCache[sql], known.count == count { return known }
        let columns = try (0..<count).map { index in
            guard let name = sqlite3_column_name(statement, Int32(index)) else {
                throw SQLiteError(code: SQLITE_NOMEM, message: "out of memory reading column names", sql: sql)
            }
            return String(cString: name)
        }
        columnCache[sql] = columns
        return columns
    }

    private func prepared(_ sql: String, _ parameters: [any SQLBindable]) throws -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statementCache[sql] {
            statement = cached
        } else {
            var fresh: OpaquePointer?
            let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &fresh, nil)
            guard rc == SQLITE_OK, let fresh else { throw error(rc, sql) }
            statementCache[sql] = fresh
            statement = fresh
        }
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == parameters.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "expected \(expected) parameters, got \(parameters.count)", sql: sql)
        }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch parameter.sqlValue {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let value): rc = sqlite3_bind_int64(statement, index, value)
            case .real(let value): rc = sqlite3_bind_double(statement, index, value)
            case .text(let value): rc = bindText(value, statement, index)
            case .blob(let value): rc = bindBlob(value, statement, index)
            }
            guard rc == SQLITE_OK else { throw error(rc, sql) }
        }
        return statement
    }

    /// Binds the string's UTF-8 bytes with their count. A length of -1 would make SQLite stop at
    /// the first NUL, so `"tenant-victim\u{0}-attacker"` would be stored (and compared in a
    /// `WHERE`) as `"tenant-victim"`.
    private func bindText(_ value: String, _ statement: OpaquePointer, _ index: Int32) -> Int32 {
        var value = value
        return value.withUTF8 { bytes in
            // A nil pointer would bind NULL; an empty string must stay an empty TEXT.
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text64(statement, index, $0, sqlite3_uint64(bytes.count), transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    /// Binds the bytes with their count (64-bit, so no `Int32` truncation of the length).
    private func bindBlob(_ value: [UInt8], _ statement: OpaquePointer, _ index: Int32) -> Int32 {
        value.withUnsafeBytes { bytes in
            // A nil pointer would bind NULL; an empty array must stay an empty BLOB.
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return sqlite3_bind_blob64(statement, index, base, sqlite3_uint64(bytes.count), transient)
        }
    }

    /// A column's value. Throws only if SQLite could not allocate the converted value, which it
    /// reports as a NULL pointer: reading that as an empty value would hand out made-up data.
    private func column(_ statement: OpaquePointer, _ index: Int32, _ sql: String) throws -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            // Text first, then its byte count (the order SQLite documents); the count, not a NUL
            // terminator, says where the value ends, so embedded NULs survive.
            let text = sqlite3_column_text(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let text else { try failIfOutOfMemory(sql); return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let pointer = sqlite3_column_blob(statement, index)
            let count = Int(sqlite3_column_bytes(statement, index))
            // NULL is what SQLite returns for an empty blob, and for an allocation failure.
            guard let pointer, count > 0 else { try failIfOutOfMemory(sql); return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }
}

extension SQLiteConnection: SQLSession {
    public var engine: SQLEngine { .sqlite }
}
