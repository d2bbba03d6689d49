/// The SQL behind the end user's choices and the claim funnel: who deleted a database, the
/// per-link throttle of `database.claim_link_opened`, and the expiry warnings sent per lead time.
/// Plain SQL that PostgreSQL runs as well (`ON CONFLICT DO NOTHING` included).
public enum PageEventsRepository {
    /// Records who deleted a database (call in the transaction that marks it `deleted`).
    public static func recordDeletedBy(_ databaseId: String, by: String, in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET deleted_by = ? WHERE id = ? AND status = 'deleted'", [by, databaseId])
    }

    /// Whether this link is due a `database.claim_link_opened` (never reported, or last reported at
    /// or before `notAfter`): a read, so that a page view that reports nothing writes nothing.
    public static func linkOpenedDue(tokenHash: [UInt8], notAfter: Int64, in db: any SQLSession) throws -> Bool {
        guard let row = try db.queryOne("SELECT opened_notified_at FROM claim_links WHERE token_hash = ?", [tokenHash]) else { return false }
        return try row.labelled("claim_links").optionalInt64("opened_notified_at").map { $0 <= notAfter } ?? true
    }

    /// Claims the right to report this link as opened: true (and the time recorded) when it was
    /// never reported or last reported at or before `notAfter`. One statement, so two tabs opening
    /// the link at once report it once.
    public static func markLinkOpened(tokenHash: [UInt8], now: Int64, notAfter: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE claim_links SET opened_notified_at = ?
            WHERE token_hash = ? AND (opened_notified_at IS NULL OR opened_notified_at <= ?)
            """, [now, tokenHash, notAfter]) == 1
    }

    /// Ready databases expiring within `lead` ms that were not warned for this lead yet. A window
    /// already open when the database was created is skipped: the partner chose that short life, and
    /// every database made with the default 24 h would otherwise be "expiring" at birth.
    public static func dueWarnings(lead: Int64, leadSeconds: Int, now: Int64, limit: Int, in db: any SQLSession) throws -> [DatabaseRecord] {
        try db.query("""
            SELECT \(DatabasesRepository.columns) FROM databases AS d
            WHERE d.status = 'ready' AND d.expires_at > ? AND d.expires_at <= ? AND d.expires_at - ? > d.created_at
              AND NOT EXISTS (SELECT 1 FROM expiry_warnings AS w WHERE w.database_id = d.id AND w.lead_seconds = ?)
            ORDER BY d.expires_at LIMIT ?
            """, [now, now + lead, lead, leadSeconds, limit]).map(DatabaseRecord.init(row:))
    }

    /// Records a warning as sent for `leadSeconds` (a second record of the same lead is ignored).
    public static func recordWarning(_ databaseId: String, leadSeconds: Int, now: Int64, in db: any SQLSession) throws {
        try db.execute("""
            INSERT INTO expiry_warnings (database_id, lead_seconds, sent_at) VALUES (?, ?, ?)
            ON CONFLICT (database_id, lead_seconds) DO NOTHING
            """, [databaseId, leadSeconds, now])
    }

    /// Re-arms the warnings of a database whose expiry moved to `remaining` ms from now: those of
    /// leads shorter than that are due again; a window it is still inside stays warned (the
    /// partner who just extended it knows).
    public static func resetWarnings(_ databaseId: String, remaining: Int64, in db: any SQLSession) throws {
        try db.execute("DELETE FROM expiry_warnings WHERE database_id = ? AND lead_seconds * 1000 < ?", [databaseId, remaining])
    }
}
