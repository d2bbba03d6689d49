/// Read-only queries behind the fleet dashboard (`/admin`). Plain SQL that PostgreSQL runs as
/// well: no SQLite functions, `CASE` instead of `IIF`, `COALESCE` around sums of empty sets.
public enum AdminQueries {
    /// The claim funnel of one cohort: databases made ready since a moment, and how far each got.
    /// Counted per database (not per event), so every step is a subset of the one before.
    public struct Funnel: Sendable, Equatable {
        public var provisioned: Int
        public var opened: Int
        public var started: Int
        public var claimed: Int

        public init(provisioned: Int, opened: Int, started: Int, claimed: Int) {
            self.provisioned = provisioned
            self.opened = opened
            self.started = started
            self.claimed = claimed
        }
    }

    /// Databases created at or after `since` that reached Prisma (a project), with how many had
    /// their claim link opened, a claim started, and were claimed.
    ///
    /// The funnel events are grouped once (an index range over `events (type, created_at)`: a
    /// database's events are never older than the database) and joined to the cohort. A correlated
    /// `EXISTS` per database looked simpler, but SQLite planned it over the type index and scanned
    /// every event of the type once per database: 87 s for 20,000 databases, against milliseconds.
    public static func funnel(since: Int64, in db: any SQLSession) throws -> Funnel {
        guard let row = try db.queryOne("""
            WITH steps AS (
              SELECT database_id,
                     MAX(CASE WHEN type = 'database.claim_link_opened' THEN 1 ELSE 0 END) AS opened,
                     MAX(CASE WHEN type = 'database.claim_started' THEN 1 ELSE 0 END) AS started
              FROM events
              WHERE type IN ('database.claim_link_opened', 'database.claim_started') AND created_at >= ?
              GROUP BY database_id)
            SELECT COUNT(*) AS provisioned,
              COALESCE(SUM(CASE WHEN d.claimed_at IS NOT NULL OR s.opened = 1 OR s.started = 1 THEN 1 ELSE 0 END), 0) AS opened,
              COALESCE(SUM(CASE WHEN d.claimed_at IS NOT NULL OR s.started = 1 THEN 1 ELSE 0 END), 0) AS started,
              COALESCE(SUM(CASE WHEN d.claimed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS claimed
            FROM databases AS d LEFT JOIN steps AS s ON s.database_id = d.id
            WHERE d.created_at >= ? AND d.project_id IS NOT NULL
            """, [since, since])?.labelled("databases") else {
            throw StorageError.unexpectedRow(table: "databases", column: "provisioned", found: "no row")
        }
        return Funnel(provisioned: try row.int("provisioned"), opened: try row.int("opened"),
                      started: try row.int("started"), claimed: try row.int("claimed"))
    }

    /// Ready databases that expire between `now` and `until`, soonest first.
    public static func expiring(now: Int64, until: Int64, limit: Int, in db: any SQLSession) throws -> [DatabaseRecord] {
        try db.query("""
            SELECT \(DatabasesRepository.columns) FROM databases
            WHERE status = 'ready' AND expires_at > ? AND expires_at <= ? ORDER BY expires_at LIMIT ?
            """, [now, until, limit]).map(DatabaseRecord.init(row:))
    }

    /// The most recently failed databases (creation refused or given up), newest first.
    public static func failedDatabases(limit: Int, in db: any SQLSession) throws -> [DatabaseRecord] {
        try db.query("SELECT \(DatabasesRepository.columns) FROM databases WHERE status = 'failed' ORDER BY updated_at DESC LIMIT ?",
                     [limit]).map(DatabaseRecord.init(row:))
    }

    /// The latest events of the given types (failures: claim_failed, delete_failed), newest first.
    public static func latestEvents(types: [String], limit: Int, in db: any SQLSession) throws -> [EventRecord] {
        guard !types.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: types.count).joined(separator: ", ")
        return try db.query("SELECT \(EventsRepository.columns) FROM events WHERE type IN (\(marks)) ORDER BY seq DESC LIMIT ?",
                            types.map { $0 as any SQLBindable } + [limit]).map(EventRecord.init(row:))
    }

    /// The newest databases, newest first.
    public static func recentDatabases(limit: Int, in db: any SQLSession) throws -> [DatabaseRecord] {
        try db.query("SELECT \(DatabasesRepository.columns) FROM databases ORDER BY created_at DESC, id DESC LIMIT ?", [limit])
            .map(DatabaseRecord.init(row:))
    }

    /// Every event of one database, oldest first: its timeline.
    public static func timeline(databaseId: String, limit: Int, in db: any SQLSession) throws -> [EventRecord] {
        try db.query("SELECT \(EventsRepository.columns) FROM events WHERE database_id = ? ORDER BY seq LIMIT ?", [databaseId, limit])
            .map(EventRecord.init(row:))
    }

    /// The webhook outbox as an operator sees it.
    public struct WebhookBacklog: Sendable, Equatable {
        public var pending: Int
        public var failed: Int
        /// Creation time of the oldest pending event.
        public var oldestPendingAt: Int64?
    }

    public static func webhookBacklog(in db: any SQLSession) throws -> WebhookBacklog {
        guard let row = try db.queryOne("""
            SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
                   COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
                   MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest
            FROM events WHERE state IN ('pending', 'failed')
            """)?.labelled("events") else {
            throw StorageError.unexpectedRow(table: "events", column: "pending", found: "no row")
        }
        return WebhookBacklog(pending: try row.int("pending"), failed: try row.int("failed"), oldestPendingAt: try row.optionalInt64("oldest"))
    }

    /// One failed delivery attempt, as the outbox remembers it (the last error per event).
    public struct DeliveryError: Sendable, Equatable {
        public var eventId: String
        public var type: String
        public var databaseId: String?
        public var state: String
        public var attempts: Int
        public var lastError: String
        public var createdAt: Int64
    }

    /// Events whose last delivery attempt failed, newest first.
    public static func deliveryErrors(limit: Int, in db: any SQLSession) throws -> [DeliveryError] {
        try db.query("""
            SELECT id, type, database_id, state, attempts, last_error, created_at FROM events
            WHERE last_error IS NOT NULL AND state IN ('pending', 'failed') ORDER BY seq DESC LIMIT ?
            """, [limit]).map { row in
            let row = row.labelled("events")
            return DeliveryError(eventId: try row.text("id"), type: try row.text("type"), databaseId: try row.optionalText("database_id"),
                                 state: try row.text("state"), attempts: try row.int("attempts"), lastError: try row.text("last_error"),
                                 createdAt: try row.int64("created_at"))
        }
    }
}
