/// A claim whose transfer request was (or may have been) sent and whose outcome is not recorded.
public struct TransferIntent: Sendable, Equatable {
    public var databaseId: String
    public var projectId: String
    /// The workspace the user chose: the project's owner if the transfer happened.
    public var workspaceId: String
    public var startedAt: Int64
}

/// The statements of transfer intents: marked before a transfer is sent, cleared when its outcome is
/// recorded, and resolved by the reconciler when left behind.
public enum TransfersRepository {
    /// Marks that the transfer of a ready database, whose claim lock is held, is about to be sent.
    /// Returns false when the database is no longer ready or no longer locked by a claim.
    public static func markStarted(databaseId: String, workspaceId: String, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE databases SET transfer_started_at = ?, transfer_workspace_id = ?, updated_at = ?
            WHERE id = ? AND status = 'ready' AND claim_started_at IS NOT NULL AND project_id IS NOT NULL
            """, [now, workspaceId, now, databaseId]) == 1
    }

    /// Clears the mark after a transfer that certainly did not happen, releasing the claim lock too.
    public static func release(databaseId: String, now: Int64, in db: any SQLSession) throws {
        try db.execute("""
            UPDATE databases SET transfer_started_at = NULL, transfer_workspace_id = NULL, claim_started_at = NULL, updated_at = ?
            WHERE id = ?
            """, [now, databaseId])
    }

    /// Ready databases with a transfer mark older than `startedBefore`, oldest first.
    public static func unresolved(startedBefore: Int64, limit: Int, in db: any SQLSession) throws -> [TransferIntent] {
        try db.query("""
            SELECT id, project_id, transfer_workspace_id, transfer_started_at FROM databases
            WHERE transfer_started_at IS NOT NULL AND transfer_started_at < ? AND status = 'ready'
            ORDER BY transfer_started_at LIMIT ?
            """, [startedBefore, limit]).map { found in
            let row = found.labelled("databases")
            return TransferIntent(
                databaseId: try row.text("id"), projectId: try row.text("project_id"),
                workspaceId: try row.text("transfer_workspace_id"), startedAt: try row.int64("transfer_started_at"))
        }
    }
}
