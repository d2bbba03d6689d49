/// Every SQL statement about leases: work one replica does at a time (see migration 0007).
///
/// A lease is taken by a single conditional `UPDATE` (free, expired, or already ours) and
/// counted by the rows it changed, so it is atomic on both engines without reading first; it is
/// given back by clearing it, and one left behind by a dead replica expires on its own.
public enum LeasesRepository {
    // MARK: Provisioning runs

    /// Takes the run of a database until `until`; false while anyone holds an unexpired lease —
    /// this process too: its own runs are joined in memory, and a lease of its own it did not
    /// join belongs to a run about to start (the row was inserted with it).
    public static func takeRun(_ id: String, owner: String, until: Int64, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE databases SET run_owner = ?, run_lease_until = ?
            WHERE id = ? AND (run_lease_until IS NULL OR run_lease_until <= ?)
            """, [owner, until, id, now]) == 1
    }

    public static func releaseRun(_ id: String, owner: String, in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET run_owner = NULL, run_lease_until = NULL WHERE id = ? AND run_owner = ?", [id, owner])
    }

    /// Forgets every lease. Only for SQLite at start: one process owns the file, so every lease in
    /// it was left by this process's previous life, which is over.
    public static func clearAll(in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET run_owner = NULL, run_lease_until = NULL WHERE run_owner IS NOT NULL")
        try db.execute("UPDATE idempotency_keys SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
        try db.execute("UPDATE accounts SET refresh_owner = NULL, refresh_lease_until = NULL WHERE refresh_owner IS NOT NULL")
        try db.execute("DELETE FROM work_leases")
    }

    // MARK: Idempotency keys

    /// Takes an in-flight key for the request now answering it; false if another request holds it.
    public static func takeKey(principal: String, key: String, owner: String, until: Int64, now: Int64,
                               in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE idempotency_keys SET lease_owner = ?, lease_until = ?
            WHERE principal = ? AND key = ? AND state = 'in_flight' AND (lease_until IS NULL OR lease_until <= ?)
            """, [owner, until, principal, key, now]) == 1
    }

    public static func releaseKey(principal: String, key: String, owner: String, in db: any SQLSession) throws {
        try db.execute("""
            UPDATE idempotency_keys SET lease_owner = NULL, lease_until = NULL WHERE principal = ? AND key = ? AND lease_owner = ?
            """, [principal, key, owner])
    }

    // MARK: Account refreshes

    public static func takeRefresh(_ accountID: String, owner: String, until: Int64, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE accounts SET refresh_owner = ?, refresh_lease_until = ?
            WHERE id = ? AND (refresh_lease_until IS NULL OR refresh_lease_until <= ? OR refresh_owner = ?)
            """, [owner, until, accountID, now, owner]) == 1
    }

    public static func releaseRefresh(_ accountID: String, owner: String, in db: any SQLSession) throws {
        try db.execute("""
            UPDATE accounts SET refresh_owner = NULL, refresh_lease_until = NULL WHERE id = ? AND refresh_owner = ?
            """, [accountID, owner])
    }

    // MARK: Background passes

    /// Takes (or renews) the lease of a named pass; false while another owner's is unexpired.
    public static func takeWork(_ name: String, owner: String, until: Int64, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            INSERT INTO work_leases (name, owner, lease_until) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
            WHERE work_leases.lease_until <= ? OR work_leases.owner = excluded.owner
            """, [name, owner, until, now]) == 1
    }

    /// Who holds a pass's lease and until when, if anyone does.
    public static func workLease(_ name: String, in db: any SQLSession) throws -> (owner: String, until: Int64)? {
        try db.queryOne("SELECT owner, lease_until FROM work_leases WHERE name = ?", [name]).map { row in
            let row = row.labelled("work_leases")
            return (try row.text("owner"), try row.int64("lease_until"))
        }
    }

    public static func releaseWork(_ name: String, owner: String, in db: any SQLSession) throws {
        try db.execute("DELETE FROM work_leases WHERE name = ? AND owner = ?", [name, owner])
    }
}

/// Who holds a lease, and until when (Unix milliseconds).
public struct Lease: Sendable, Equatable {
    public let owner: String
    public let until: Int64
    public init(owner: String, until: Int64) {
        self.owner = owner
        self.until = until
    }
}
