/// One outbox event.
public struct EventRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var type: String
    public var databaseId: String?
    public var accountId: String?
    /// The JSON body delivered to the partner.
    public var payload: String
    public var createdAt: Int64
    public var state: String
    public var attempts: Int

    /// The values `state` can hold (the table's CHECK constraint).
    public static let states: Set<String> = ["pending", "delivered", "failed"]

    /// Decodes a row selected with ``EventsRepository``'s columns; throws like
    /// ``DatabaseRecord/init(row:)`` (an event with an empty payload or an unknown state must not
    /// be delivered as if it were fine).
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("events")
        seq = try row.int64("seq")
        id = try row.text("id")
        type = try row.text("type")
        databaseId = try row.optionalText("database_id")
        accountId = try row.optionalText("account_id")
        payload = try row.text("payload")
        createdAt = try row.int64("created_at")
        state = try row.text("state", oneOf: EventRecord.states)
        attempts = try row.int("attempts")
    }
}

/// Every SQL statement of the event outbox.
public enum EventsRepository {
    static let columns = "seq, id, type, database_id, account_id, payload, created_at, state, attempts"

    /// Appends an event (call inside the transaction of the state change it reports).
    public static func insert(
        id: String, type: String, databaseId: String?, accountId: String?, payload: String, now: Int64, in db: any SQLSession
    ) throws {
        try db.execute("""
            INSERT INTO events (id, type, database_id, account_id, payload, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [id, type, databaseId, accountId, payload, now, now])
    }

    /// Events due for delivery: pending, due, and the oldest pending one of their database (so a
    /// database's events go out in order).
    public static func deliverable(now: Int64, limit: Int, in db: any SQLSession) throws -> [EventRecord] {
        try db.query("""
            SELECT \(columns) FROM events AS e
            WHERE e.state = 'pending' AND e.next_attempt_at <= ?
              AND (e.database_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM events AS earlier
                  WHERE earlier.database_id = e.database_id AND earlier.state = 'pending' AND earlier.seq < e.seq))
            ORDER BY e.seq LIMIT ?
            """, [now, limit]).map(EventRecord.init(row:))
    }

    public static func markDelivered(id: String, now: Int64, in db: any SQLSession) throws {
        try db.execute("UPDATE events SET state = 'delivered', delivered_at = ?, attempts = attempts + 1 WHERE id = ?", [now, id])
    }

    public static func markRetry(id: String, nextAttemptAt: Int64, error: String, in db: any SQLSession) throws {
        try db.execute("""
            UPDATE events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'
            """, [nextAttemptAt, error, id])
    }

    public static func markFailed(id: String, error: String, in db: any SQLSession) throws {
        try db.execute("UPDATE events SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?", [error, id])
    }

    /// Events after the one with id `after` (all when nil), oldest first.
    public static func list(after: String?, limit: Int, in db: any SQLSession) throws -> [EventRecord]? {
        var seq: Int64 = 0
        if let after {
            guard let found = try db.queryOne("SELECT seq FROM events WHERE id = ?", [after])?.labelled("events").int64("seq") else {
                return nil
            }
            seq = found
        }
        return try db.query("SELECT \(columns) FROM events WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit]).map(EventRecord.init(row:))
    }

    public static func find(id: String, in db: any SQLSession) throws -> EventRecord? {
        try db.queryOne("SELECT \(columns) FROM events WHERE id = ?", [id]).map(EventRecord.init(row:))
    }
}
