/// Which SQL engine holds the state. The repositories write one SQL for both; where the dialects
/// differ (DDL, a few functions) they ask the session which one they speak to.
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgres
}

/// The statements of one open transaction, on either engine (``SQLiteConnection``,
/// ``PostgresSession``). Repositories take one, so that callers compose several repository calls
/// into one atomic ``Database/write(_:)`` whatever the engine.
///
/// Synchronous on purpose: a session is only ever used on its engine's own storage thread (see
/// ``SQLiteExecutor``), where blocking is what the thread is for; and a transaction body that
/// cannot `await` cannot interleave with another one on the same connection.
///
/// Parameters are written `?` in SQL for both engines; the PostgreSQL session numbers them.
public protocol SQLSession: AnyObject {
    var engine: SQLEngine { get }
    /// Runs statements with no parameters and no results (schema, migrations).
    func execute(script sql: String) throws
    /// Runs one statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [any SQLBindable]) throws -> Int
    func query(_ sql: String, _ parameters: [any SQLBindable]) throws -> [Row]
    /// Whether a transaction is open on the connection.
    var isInTransaction: Bool { get }
    /// Test hook: the next `count` statements fail (see ``Database/injectFaults(_:code:)``).
    func injectFaults(_ count: Int, code: Int32)
}

extension SQLSession {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    public func query(_ sql: String) throws -> [Row] { try query(sql, []) }

    /// The first row, if any.
    public func queryOne(_ sql: String, _ parameters: [any SQLBindable] = []) throws -> Row? {
        try query(sql, parameters).first
    }
}
