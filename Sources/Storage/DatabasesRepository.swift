/// Every SQL statement about handed-out databases, idempotency keys and claim links.
///
/// Functions take the connection of an open transaction (``Database/write(_:)``) or a read, so
/// callers compose several of them atomically; none opens its own transaction.
public enum DatabasesRepository {
    static let columns = """
        id, logical_id, status, name, region, reference, metadata, project_id, prisma_database_id, credentials,
        failure_reason, ttl_seconds, expires_at, attempts, created_at, updated_at, claimed_at, claimed_workspace_id, deleted_at,
        delete_attempts, connection_id, on_claim, deleted_by
        """

    /// Inserts a new row. `attempts` counts creates that may have been sent: an intent inserted
    /// right before its first create carries 1, which saves a commit on the hot path.
    /// `runLease`: the run lease the inserting process takes at once (see ``LeasesRepository``).
    public static func insert(_ record: DatabaseRecord, runLease: Lease? = nil, in db: any SQLSession) throws {
        try db.execute("""
            INSERT INTO databases (id, logical_id, status, name, region, reference, metadata, ttl_seconds, expires_at,
                                   attempts, created_at, updated_at, on_claim, run_owner, run_lease_until)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [record.id, record.logicalId, record.status.rawValue, record.name, record.region, record.reference,
                  record.metadata, record.ttlSeconds, record.expiresAt, record.attempts, record.createdAt, record.createdAt,
                  record.onClaim, runLease?.owner, runLease?.until])
    }

    /// The database whose Prisma project carries this `logicalId` (every database has its own).
    public static func find(logicalId: String, in db: any SQLSession) throws -> DatabaseRecord? {
        try db.queryOne(findByLogicalID, [logicalId]).map(DatabaseRecord.init(row:))
    }

    public static func find(_ id: String, in db: any SQLSession) throws -> DatabaseRecord? {
        try db.queryOne(findByID, [id]).map(DatabaseRecord.init(row:))
    }

    // Made once: the text is the statement cache's key, hashed on every call (an API read's
    // statement was otherwise rebuilt and hashed, 300 bytes, per request).
    private static let findByID = "SELECT \(columns) FROM databases WHERE id = ?"
    private static let findByLogicalID = "SELECT \(columns) FROM databases WHERE logical_id = ?"

    /// A page in creation order, after the `(createdAt, id)` cursor.
    public static func list(
        status: DatabaseStatus?, reference: String?, after cursor: (createdAt: Int64, id: String)?, limit: Int,
        in db: any SQLSession
    ) throws -> [DatabaseRecord] {
        var clauses: [String] = []
        var parameters: [any SQLBindable] = []
        if let status { clauses.append("status = ?"); parameters.append(status.rawValue) }
        if let reference { clauses.append("reference = ?"); parameters.append(reference) }
        if let cursor {
            clauses.append("(created_at > ? OR (created_at = ? AND id > ?))")
            parameters += [cursor.createdAt, cursor.createdAt, cursor.id]
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        parameters.append(limit)
        return try db.query("SELECT \(columns) FROM databases \(filter) ORDER BY created_at, id LIMIT ?", parameters)
            .map(DatabaseRecord.init(row:))
    }

    /// Ready databases whose time is up and whose deletion is due (never claimed ones: a claim
    /// in progress holds the claim lock, and a claimed row is not `ready`).
    public static func expiredDue(now: Int64, staleLockBefore: Int64, limit: Int, in db: any SQLSession) throws -> [DatabaseRecord] {
        try db.query("""
            SELECT \(columns) FROM databases
            WHERE status = 'ready' AND expires_at <= ? AND (next_delete_at IS NULL OR next_delete_at <= ?)
              AND (claim_started_at IS NULL OR claim_started_at < ?) AND transfer_started_at IS NULL
            ORDER BY expires_at LIMIT ?
            """, [now, now, staleLockBefore, limit]).map(DatabaseRecord.init(row:))
    }

    /// A failed deletion: try again at `next`.
    public static func scheduleDeleteRetry(_ id: String, next: Int64, in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET delete_attempts = delete_attempts + 1, next_delete_at = ? WHERE id = ?", [next, id])
    }

    /// Moves the expiry of a ready, unexpired database; returns false otherwise.
    public static func extend(_ id: String, expiresAt: Int64, now: Int64, in db: any SQLSession) throws -> Bool {
        let changed = try db.execute("""
            UPDATE databases SET expires_at = ?, expiring_notified_at = NULL, updated_at = ?
            WHERE id = ? AND status = 'ready' AND expires_at > ?
            """, [expiresAt, now, id, now]) == 1
        if changed {
            try db.execute("UPDATE claim_links SET expires_at = ? WHERE database_id = ? AND revoked_at IS NULL", [expiresAt, id])
        }
        return changed
    }

    /// Ids of databases still provisioning, oldest first.
    public static func provisioningIDs(in db: any SQLSession) throws -> [String] {
        try db.query("SELECT id FROM databases WHERE status = 'provisioning' ORDER BY created_at").map { try $0.labelled("databases").text("id") }
    }

    /// Records that a create may be sent (durably, before it is sent).
    public static func recordAttempt(_ id: String, now: Int64, in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'provisioning'", [now, id])
    }

    /// provisioning → ready. Returns false if the row was no longer provisioning.
    public static func markReady(
        _ id: String, projectId: String, prismaDatabaseId: String?, connectionId: String? = nil, credentials: [UInt8], now: Int64,
        in db: any SQLSession
    ) throws -> Bool {
        try db.execute("""
            UPDATE databases SET status = 'ready', project_id = ?, prisma_database_id = ?, connection_id = ?, credentials = ?, updated_at = ?
            WHERE id = ? AND status = 'provisioning'
            """, [projectId, prismaDatabaseId, connectionId, credentials, now, id]) == 1
    }

    /// provisioning → failed.
    public static func markFailed(_ id: String, reason: String, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE databases SET status = 'failed', failure_reason = ?, updated_at = ? WHERE id = ? AND status = 'provisioning'
            """, [reason, now, id]) == 1
    }

    /// ready/failed → deleted (or expired): credentials are wiped and claim links revoked.
    public static func markGone(_ id: String, status: DatabaseStatus, now: Int64, in db: any SQLSession) throws -> Bool {
        let changed = try db.execute("""
            UPDATE databases SET status = ?, credentials = NULL, deleted_at = ?, updated_at = ?
            WHERE id = ? AND status IN ('ready', 'failed')
            """, [status.rawValue, now, now, id]) == 1
        if changed { try revokeClaimLinks(databaseId: id, now: now, in: db) }
        return changed
    }

    // MARK: Idempotency keys

    public static func findKey(principal: String, key: String, in db: any SQLSession) throws -> IdempotencyRecord? {
        try db.queryOne("""
            SELECT principal, key, fingerprint, state, database_id, response_status, response_body
            FROM idempotency_keys WHERE principal = ? AND key = ?
            """, [principal, key]).map(IdempotencyRecord.init(row:))
    }

    /// `lease`: the request inserting the key holds it in flight (see ``LeasesRepository``).
    public static func insertKey(
        principal: String, key: String, fingerprint: String, databaseId: String, now: Int64, lease: Lease? = nil,
        in db: any SQLSession
    ) throws {
        try db.execute("""
            INSERT INTO idempotency_keys (principal, key, fingerprint, state, database_id, created_at, lease_owner, lease_until)
            VALUES (?, ?, ?, 'in_flight', ?, ?, ?, ?)
            """, [principal, key, fingerprint, databaseId, now, lease?.owner, lease?.until])
    }

    /// Keys waiting for this database's outcome.
    public static func pendingKeys(databaseId: String, in db: any SQLSession) throws -> [(principal: String, key: String)] {
        try db.query("SELECT principal, key FROM idempotency_keys WHERE database_id = ? AND state = 'in_flight'", [databaseId])
            .map { row in
                let row = row.labelled("idempotency_keys")
                return (principal: try row.text("principal"), key: try row.text("key"))
            }
    }

    /// Stores the final answer for a key.
    public static func completeKey(principal: String, key: String, status: Int, body: [UInt8], in db: any SQLSession) throws {
        try db.execute("""
            UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? WHERE principal = ? AND key = ?
            """, [status, body, principal, key])
    }

    // MARK: Claim links

    public static func insertClaimLink(tokenHash: [UInt8], databaseId: String, now: Int64, expiresAt: Int64, in db: any SQLSession) throws {
        try db.execute("INSERT INTO claim_links (token_hash, database_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                       [tokenHash, databaseId, now, expiresAt])
    }

    public static func revokeClaimLinks(databaseId: String, now: Int64, in db: any SQLSession) throws {
        try db.execute("UPDATE claim_links SET revoked_at = ? WHERE database_id = ? AND revoked_at IS NULL", [now, databaseId])
    }
}
