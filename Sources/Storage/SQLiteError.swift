/// A failure reported by SQLite, with its extended result code.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The extended result code (`sqlite3_extended_result_codes` is on); `code & 0xff` is the
    /// primary one.
    public let code: Int32
    public let message: String
    /// The SQL that failed, if any (never contains bound values, so never a secret).
    public let sql: String?
    /// Whether the failure was made up by ``SQLiteConnection/injectFaults(_:code:)`` (a test hook)
    /// rather than reported by SQLite.
    public let isInjected: Bool

    public init(code: Int32, message: String, sql: String? = nil, isInjected: Bool = false) {
        self.code = code
        self.message = message
        self.sql = sql
        self.isInjected = isInjected
    }

    public var description: String {
        "SQLite error \(code): \(message)" + (sql.map { " in `\($0.prefix(120))`" } ?? "")
    }

    /// The primary result code, without the extended bits.
    public var primaryCode: Int32 { code & 0xff }
    /// `SQLITE_CONSTRAINT` and its extended codes (unique, foreign key, check…).
    public var isConstraintViolation: Bool { primaryCode == 19 }
    /// `SQLITE_BUSY` / `SQLITE_LOCKED`.
    public var isBusy: Bool { primaryCode == 5 || primaryCode == 6 }
    /// `SQLITE_FULL`: the disk (or the `max_page_count`) is full. Nothing of the failed
    /// transaction was written; writes work again once space is freed, without reopening.
    public var isStorageFull: Bool { primaryCode == 13 }
    /// `SQLITE_IOERR` and its extended codes (failed read, write, fsync…): the disk or the file
    /// system is in trouble, and an operator should look.
    public var isIOError: Bool { primaryCode == 10 }
}

/// Storage failures that are not SQLite's: the database answered, but not with what the code
/// expects.
public enum StorageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A row could not be decoded: `column` of `table` was missing from the result, NULL where a
    /// value is required, of another type, or held a value outside its enumeration. `found`
    /// describes what was there by type and size only (a column may hold a secret), except for
    /// enumeration columns, whose unknown value is quoted (truncated).
    ///
    /// Decoding throws instead of defaulting because a default would be a lie told to the rest
    /// of the service: an empty id, a zero expiry (already expired: deleted upstream by the
    /// sweeper), or an unknown status read as `failed`. A schema drift or a hand-edited row must
    /// stop at the row that shows it.
    case unexpectedRow(table: String, column: String, found: String)

    public var description: String {
        switch self {
        case .unexpectedRow(let table, let column, let found):
            return "unexpected row in \(table): column \(column) holds \(found)"
        }
    }
}

/// A value bound to, or read from, an SQLite statement.
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int: Int? { if case .integer(let v) = self { return Int(v) } else { return nil } }
    public var int64: Int64? { if case .integer(let v) = self { return v } else { return nil } }
    public var double: Double? {
        switch self {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: return nil
        }
    }
    public var string: String? { if case .text(let v) = self { return v } else { return nil } }
    public var bytes: [UInt8]? { if case .blob(let v) = self { return v } else { return nil } }
    public var isNull: Bool { self == .null }
}

/// Conversions so call sites can bind Swift values directly.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension Array: SQLBindable where Element == UInt8 { public var sqlValue: SQLValue { .blob(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row: values by column position, with lookup by column name.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]
    /// What the row is decoded as, named in decoding errors (see ``labelled(_:)``).
    public let table: String?

    public init(columns: [String], values: [SQLValue], table: String? = nil) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
        self.table = table
    }

    /// The value of a column; `.null` if the result has no such column. Prefer the throwing
    /// accessors (``text(_:)`` and friends) when decoding a record: they tell the two apart.
    public subscript(_ name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// The same row, naming `table` in the errors of its throwing accessors.
    public func labelled(_ table: String) -> Row {
        Row(columns: columns, values: values, table: table)
    }

    // MARK: Decoding

    /// A non-NULL `TEXT` value.
    public func text(_ column: String) throws(StorageError) -> String {
        guard let value = try optionalText(column) else { throw unexpected(column, "NULL") }
        return value
    }

    /// A `TEXT` value or NULL.
    public func optionalText(_ column: String) throws(StorageError) -> String? {
        switch try value(column) {
        case .null: return nil
        case .text(let text): return text
        case let other: throw unexpected(column, Row.describe(other))
        }
    }

    /// A non-NULL `TEXT` value that is one of `allowed`.
    public func text(_ column: String, oneOf allowed: Set<String>) throws(StorageError) -> String {
        let text = try text(column)
        guard allowed.contains(text) else { throw unexpected(column, Row.quote(text)) }
        return text
    }

    /// A non-NULL `INTEGER` value.
    public func int64(_ column: String) throws(StorageError) -> Int64 {
        guard let value = try optionalInt64(column) else { throw unexpected(column, "NULL") }
        return value
    }

    /// An `INTEGER` value or NULL.
    public func optionalInt64(_ column: String) throws(StorageError) -> Int64? {
        switch try value(column) {
        case .null: return nil
        case .integer(let value): return value
        case let other: throw unexpected(column, Row.describe(other))
        }
    }

    /// A non-NULL `INTEGER` value that fits an `Int`.
    public func int(_ column: String) throws(StorageError) -> Int {
        guard let value = try optionalInt(column) else { throw unexpected(column, "NULL") }
        return value
    }

    /// An `INTEGER` value that fits an `Int`, or NULL.
    public func optionalInt(_ column: String) throws(StorageError) -> Int? {
        guard let value = try optionalInt64(column) else { return nil }
        guard let int = Int(exactly: value) else { throw unexpected(column, "an INTEGER out of range") }
        return int
    }

    /// A non-NULL `BLOB` value (possibly empty).
    public func blob(_ column: String) throws(StorageError) -> [UInt8] {
        guard let value = try optionalBlob(column) else { throw unexpected(column, "NULL") }
        return value
    }

    /// A `BLOB` value or NULL.
    public func optionalBlob(_ column: String) throws(StorageError) -> [UInt8]? {
        switch try value(column) {
        case .null: return nil
        case .blob(let bytes): return bytes
        case let other: throw unexpected(column, Row.describe(other))
        }
    }

    /// A non-NULL `TEXT` value that is the raw value of a case of `type`.
    public func enumValue<E: RawRepresentable>(_ type: E.Type, _ column: String) throws(StorageError) -> E
    where E.RawValue == String {
        let raw = try text(column)
        guard let value = E(rawValue: raw) else { throw unexpected(column, Row.quote(raw)) }
        return value
    }

    /// The value of a column the result must have.
    public func value(_ column: String) throws(StorageError) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { throw unexpected(column, "nothing (no such column)") }
        return values[index]
    }

    private func unexpected(_ column: String, _ found: String) -> StorageError {
        .unexpectedRow(table: table ?? "query result", column: column, found: found)
    }

    /// The type and size of a value, never its content (it may be a secret).
    private static func describe(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer: return "an INTEGER"
        case .real: return "a REAL"
        case .text(let text): return "a TEXT of \(text.utf8.count) bytes"
        case .blob(let bytes): return "a BLOB of \(bytes.count) bytes"
        }
    }

    /// An unknown enumeration value, quoted and cut short.
    private static func quote(_ text: String) -> String {
        let shown = text.unicodeScalars.prefix(40).map { $0.escaped(asASCII: true) }.joined()
        return "unknown value \"\(shown)\"" + (text.unicodeScalars.count > 40 ? "…" : "")
    }
}
