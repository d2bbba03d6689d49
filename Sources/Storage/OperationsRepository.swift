/// Counts for operators (metrics).
public enum OperationsRepository {
    public struct Counts: Sendable {
        public var databases: [String: Int]
        public var pendingEvents: Int
    }

    public static func counts(in db: SQLiteConnection) throws -> Counts {
        var databases: [String: Int] = [:]
        for row in try db.query("SELECT status, COUNT(*) AS n FROM databases GROUP BY status") {
            databases[row["status"].string ?? ""] = row["n"].int ?? 0
        }
        let pending = try db.queryOne("SELECT COUNT(*) FROM events WHERE state = 'pending'")?[0].int ?? 0
        return Counts(databases: databases, pendingEvents: pending)
    }
}
