import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection used synchronously, the way ``SQLiteConnection`` is: only ever on
/// the storage thread of its ``PostgresDatabase``, which is a thread of its own (never an event
/// loop, never the cooperative pool), so blocking on postgres-nio's futures there is what the
/// thread is for.
///
/// Why one connection with `.wait()` rather than `PostgresClient`'s pool and `async` calls: the
/// repositories are one synchronous SQL for both engines, composed inside one transaction body
/// that cannot suspend (so no other work interleaves with it on the connection); and writes are
/// serialised across replicas anyway (see ``PostgresDatabase``). A lost connection is replaced at
/// the next call.
public final class PostgresSession: SQLSession {
    public var engine: SQLEngine { .postgres }

    private let configuration: PostgresURL
    private var connection: PostgresConnection?
    private var numbered: [String: String] = [:]
    private var faults: (remaining: Int, code: Int32) = (0, 0)
    private let logger: Logger
    /// Set by ``close()``: a closed session stays closed (no reconnect).
    private var closed = false
    /// Whether a transaction this session began is still open.
    public private(set) var isInTransaction = false

    init(configuration: PostgresURL) {
        self.configuration = configuration
        var logger = Logger(label: "claimgate.postgres")
        logger.logLevel = .error
        self.logger = logger
    }

    deinit {
        if let connection { Self.closeInBackground(connection) }
    }

    /// Closes without waiting, keeping the connection alive until it is closed (postgres-nio
    /// asserts that a connection is closed before it is released).
    private static func closeInBackground(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    // MARK: SQLSession

    /// Runs each statement of `sql` in turn (postgres-nio speaks the extended protocol, which
    /// takes one statement at a time). Statements are split at `;` outside quotes and comments;
    /// dollar-quoted bodies are not supported (no migration needs one).
    public func execute(script sql: String) throws {
        for statement in Self.statements(sql) {
            try failIfInjected()
            let connection = try connected()
            do {
                _ = try connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).wait()
            } catch {
                throw translate(error)
            }
            track(statement)
        }
    }

    /// The statements of a script, without empty ones and comment-only ones.
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var comment = false
        var previous: Character = " "
        for character in script {
            if comment {
                if character == "\n" { comment = false }
            } else if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "-" && previous == "-" {
                current.removeLast()
                comment = true
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = comment ? " " : character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLBindable]) throws -> Int {
        try run(sql, parameters).metadata.rows ?? 0
    }

    public func query(_ sql: String, _ parameters: [any SQLBindable]) throws -> [Row] {
        try run(sql, parameters).rows.map(Self.row)
    }

    // MARK: Transactions

    /// Runs `body` between `begin` (then, if given, the advisory lock `lock`) and `COMMIT`; any
    /// thrown error rolls back and reaches the caller.
    func transaction<T>(_ begin: String, lock: Int64?, _ body: (any SQLSession) throws -> T) throws -> T {
        try endAbandonedTransaction()
        try execute(script: begin)
        do {
            if let lock { try execute("SELECT pg_advisory_xact_lock(?)", [lock]) }
            let result = try body(self)
            try execute(script: "COMMIT")
            return result
        } catch {
            if isInTransaction {
                do { try execute(script: "ROLLBACK") } catch {
                    // The caller gets the error that made us roll back (the cause). If the
                    // connection is gone, PostgreSQL rolled back already; otherwise the next call
                    // rolls back first (``endAbandonedTransaction()``).
                }
            }
            throw error
        }
    }

    /// Rolls back a transaction a failed call could not end.
    func endAbandonedTransaction() throws {
        if isInTransaction { try execute(script: "ROLLBACK") }
    }

    // MARK: Connection

    /// Opens the connection if there is none (the first call, or after one was lost).
    func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if closed { throw PostgresError(sqlState: nil, message: "the database was closed", connectionLost: true) }
        dropConnection()
        isInTransaction = false
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try Self.tls(for: configuration)
        } catch {
            throw PostgresError(sqlState: nil, message: "TLS set-up failed: \(error)", connectionLost: true)
        }
        let config = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.user,
            password: configuration.password, database: configuration.database, tls: tls)
        do {
            let opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config, id: 1, logger: logger
            ).wait()
            connection = opened
            return opened
        } catch {
            throw translate(error)
        }
    }

    func close() {
        closed = true
        if let connection {
            let closing: EventLoopFuture<Void> = connection.close()
            // Dropped on purpose: a connection that fails to close cleanly is closed all the same.
            _ = try? closing.wait()
        }
        connection = nil
    }

    public func injectFaults(_ count: Int, code: Int32) { faults = (max(0, count), code) }
    func clearFaults() { faults = (0, 0) }

    // MARK: Internals

    private func run(_ sql: String, _ parameters: [any SQLBindable]) throws -> PostgresQueryResult {
        try failIfInjected()
        let connection = try connected()
        var bindings = PostgresBindings(capacity: parameters.count)
        for parameter in parameters {
            switch parameter.sqlValue {
            case .null: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .real(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            case .blob(let value): bindings.append(ByteBuffer(bytes: value))
            }
        }
        let query = PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings)
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            throw translate(error)
        }
    }

    /// `?` → `$1`, `$2`, … outside quoted literals; cached per statement text.
    private func numberedPlaceholders(_ sql: String) -> String {
        if let cached = numbered[sql] { return cached }
        var output = ""
        output.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quoted = false
        for character in sql {
            if character == "'" { quoted.toggle() }
            if character == "?", !quoted {
                index += 1
                output += "$\(index)"
            } else {
                output.append(character)
            }
        }
        numbered[sql] = output
        return output
    }

    /// Keeps ``inTransaction`` in step with the scripts that open and end transactions.
    private func track(_ sql: String) {
        let head = sql.prefix(8).uppercased()
        if head.hasPrefix("BEGIN") { isInTransaction = true }
        if head.hasPrefix("COMMIT") || head.hasPrefix("ROLLBACK") { isInTransaction = false }
    }

    private func failIfInjected() throws {
        guard faults.remaining > 0 else { return }
        faults.remaining -= 1
        let state = (faults.code & 0xff) == 13 ? "53100" : "58030"
        throw PostgresError(sqlState: state, message: "injected fault", isInjected: true)
    }

    private func translate(_ error: any Error) -> PostgresError {
        guard let error = error as? PSQLError else {
            if let error = error as? PostgresError { return error }
            dropConnection()
            return PostgresError(sqlState: nil, message: "\(type(of: error)): \(error)", connectionLost: true)
        }
        if error.code == .server, let info = error.serverInfo {
            let state = info[.sqlState]
            // Class 08 (connection exception) and 57P (the server shutting this backend down):
            // the connection is done for, whatever it still looks like from here.
            let lost = state?.hasPrefix("08") == true || state?.hasPrefix("57P") == true
            if lost { dropConnection() }
            return PostgresError(sqlState: state, message: info[.message] ?? "server error", connectionLost: lost)
        }
        let lost = [PSQLError.Code.serverClosedConnection, .clientClosedConnection, .connectionError,
                    .uncleanShutdown, .sslUnsupported, .failedToAddSSLHandler].contains(error.code)
        if lost || connection?.isClosed == true { dropConnection() }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return PostgresError(sqlState: nil, message: "\(error.code)\(underlying)", connectionLost: lost)
    }

    /// Forgets the connection, closing it first (postgres-nio requires a connection be closed
    /// before it is released); the next call connects anew.
    private func dropConnection() {
        if let connection { Self.closeInBackground(connection) }
        connection = nil
        isInTransaction = false
    }

    private static func tls(for url: PostgresURL) throws -> PostgresConnection.Configuration.TLS {
        var config = TLSConfiguration.makeClientConfiguration()
        if let root = url.sslRootCert {
            config.trustRoots = .file(root)
        }
        switch url.sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            config.certificateVerification = .none
            return url.sslMode == .prefer ? .prefer(try NIOSSLContext(configuration: config))
                                          : .require(try NIOSSLContext(configuration: config))
        case .verifyCA:
            config.certificateVerification = .noHostnameVerification
            return .require(try NIOSSLContext(configuration: config))
        case .verifyFull:
            return .require(try NIOSSLContext(configuration: config))
        }
    }

    /// One result row as ``Row``: integers, booleans (as 0/1), reals, text and bytea; anything else as text.
    private static func row(_ row: PostgresRow) throws -> Row {
        var columns: [String] = []
        var values: [SQLValue] = []
        for cell in row {
            columns.append(cell.columnName)
            values.append(try value(cell))
        }
        return Row(columns: columns, values: values)
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .bytea:
                var buffer = try cell.decode(ByteBuffer.self)
                return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .numeric:
                let text = try cell.decode(String.self)
                if let integer = Int64(text) { return .integer(integer) }
                if let real = Double(text) { return .real(real) }
                throw StorageError.unexpectedRow(table: "?", column: cell.columnName, found: "numeric")
            default:
                return .text(try cell.decode(String.self))
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.unexpectedRow(table: "?", column: cell.columnName, found: "\(cell.dataType)")
        }
    }
}
