/// A failure of PostgreSQL or of the way to it, with what the service acts on.
///
/// postgres-nio's own error carries the query and the server's fields; this keeps only the
/// SQLSTATE and a message (never bound values, which may be sealed secrets), so it can be logged.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The server's SQLSTATE (`23505` unique violation, `53100` disk full, …); nil when the server
    /// never answered (connection refused, closed, TLS failure).
    public let sqlState: String?
    public let message: String
    /// Whether the connection is gone: the next call connects anew.
    public let connectionLost: Bool
    /// Whether a test hook made this failure (see ``Database/injectFaults(_:code:)``).
    public let isInjected: Bool

    public init(sqlState: String?, message: String, connectionLost: Bool = false, isInjected: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.connectionLost = connectionLost
        self.isInjected = isInjected
    }

    public var description: String {
        "PostgreSQL error\(sqlState.map { " \($0)" } ?? ""): \(message)\(isInjected ? " (injected)" : "")"
    }

    /// Class 23: integrity constraint violation.
    public var isConstraintViolation: Bool { sqlState?.hasPrefix("23") == true }
    /// Class 53: insufficient resources (disk full, out of memory, too many connections).
    public var isStorageFull: Bool { sqlState?.hasPrefix("53") == true }
    /// `40001` serialization failure or `40P01` deadlock: the transaction may be run again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
}
