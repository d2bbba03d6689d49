/// Counts for operators (metrics).
public enum OperationsRepository {
    public struct Counts: Sendable {
        public var databases: [String: Int]
        public var pendingEvents: Int
    }

    public static func counts(in db: any SQLSession) throws -> Counts {
        var databases: [String: Int] = [:]
        for row in try db.query("SELECT status, COUNT(*) AS n FROM databases GROUP BY status") {
            let row = row.labelled("databases")
            databases[try row.text("status")] = try row.int("n")
        }
        // COUNT(*) always answers one row; a missing one would be SQLite's bug, not an empty outbox.
        guard let counted = try db.queryOne("SELECT COUNT(*) AS n FROM events WHERE state = 'pending'") else {
            throw StorageError.unexpectedRow(table: "events", column: "n", found: "no row")
        }
        let pending = try counted.labelled("events").int("n")
        return Counts(databases: databases, pendingEvents: pending)
    }
}
