/// Every SQL statement about connected accounts (users' Prisma grants).
public enum AccountsRepository {
    static let columns = "id, prisma_user_id, workspace_id, email, access_token, refresh_token, access_expires_at, scope, status"

    public static func find(_ id: String, in db: any SQLSession) throws -> AccountRecord? {
        try db.queryOne("SELECT \(columns) FROM accounts WHERE id = ?", [id]).map(AccountRecord.init(row:))
    }

    /// Accounts, optionally only those that claimed a database with this partner reference, with
    /// the ids of the databases each claimed.
    public static func list(reference: String?, in db: any SQLSession) throws -> [(AccountRecord, created: Int64, databases: [String])] {
        let rows: [Row]
        if let reference {
            rows = try db.query("""
                SELECT DISTINCT a.\(columns.replacingOccurrences(of: ", ", with: ", a.")), a.created_at FROM accounts AS a
                JOIN databases AS d ON d.account_id = a.id WHERE d.reference = ? ORDER BY a.created_at
                """, [reference])
        } else {
            rows = try db.query("SELECT \(columns), created_at FROM accounts ORDER BY created_at")
        }
        return try rows.map { row in
            let account = try AccountRecord(row: row)
            let databases = try db.query("SELECT id FROM databases WHERE account_id = ? ORDER BY created_at", [account.id])
                .map { try $0.labelled("databases").text("id") }
            return (account, try row.labelled("accounts").int64("created_at"), databases)
        }
    }

    /// Stores rotated tokens (the new refresh token is committed before the new access token is used).
    public static func updateTokens(_ id: String, access: [UInt8], refresh: [UInt8]?, expiresAt: Int64?, now: Int64,
                                    in db: any SQLSession) throws {
        try db.execute("""
            UPDATE accounts SET access_token = ?, refresh_token = COALESCE(?, refresh_token), access_expires_at = ?,
                status = 'active', updated_at = ? WHERE id = ?
            """, [access, refresh, expiresAt, now, id])
    }

    /// Returns false if it already was.
    public static func markNeedsReauth(_ id: String, now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("UPDATE accounts SET status = 'needs_reauth', updated_at = ? WHERE id = ? AND status != 'needs_reauth'",
                       [now, id]) == 1
    }

    /// Forgets the grant; databases keep their claim history without the link.
    public static func delete(_ id: String, in db: any SQLSession) throws -> Bool {
        try db.execute("UPDATE databases SET account_id = NULL WHERE account_id = ?", [id])
        return try db.execute("DELETE FROM accounts WHERE id = ?", [id]) == 1
    }
}
