/// A claim link with the state of its database.
public struct ClaimLink: Sendable, Equatable {
    public var databaseId: String
    public var expiresAt: Int64
    public var revokedAt: Int64?

    /// Decodes a row of `claim_links`; throws like ``DatabaseRecord/init(row:)``.
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("claim_links")
        databaseId = try row.text("database_id")
        expiresAt = try row.int64("expires_at")
        revokedAt = try row.optionalInt64("revoked_at")
    }
}

/// A stored OAuth authorization request.
public struct OAuthStateRecord: Sendable, Equatable {
    public var databaseId: String
    /// Sealed claim token (to link back to the claim page).
    public var claimToken: [UInt8]
    /// Sealed PKCE verifier.
    public var verifier: [UInt8]
    public var browserHash: [UInt8]
    public var expiresAt: Int64
    public var consumedAt: Int64?

    public init(databaseId: String, claimToken: [UInt8], verifier: [UInt8], browserHash: [UInt8], expiresAt: Int64, consumedAt: Int64?) {
        self.databaseId = databaseId
        self.claimToken = claimToken
        self.verifier = verifier
        self.browserHash = browserHash
        self.expiresAt = expiresAt
        self.consumedAt = consumedAt
    }

    /// Decodes a row of `oauth_states`; throws like ``DatabaseRecord/init(row:)`` (an empty
    /// verifier or browser hash must fail the callback, not take part in it).
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("oauth_states")
        databaseId = try row.text("database_id")
        claimToken = try row.blob("claim_token")
        verifier = try row.blob("verifier")
        browserHash = try row.blob("browser_hash")
        expiresAt = try row.int64("expires_at")
        consumedAt = try row.optionalInt64("consumed_at")
    }
}

/// A user's Prisma grant.
public struct AccountRecord: Sendable, Equatable {
    public var id: String
    public var prismaUserId: String
    public var workspaceId: String
    public var email: String?
    public var accessToken: [UInt8]
    public var refreshToken: [UInt8]?
    public var accessExpiresAt: Int64?
    public var scope: String?
    public var status: String

    public init(id: String, prismaUserId: String, workspaceId: String, email: String?, accessToken: [UInt8],
                refreshToken: [UInt8]?, accessExpiresAt: Int64?, scope: String?, status: String) {
        self.id = id
        self.prismaUserId = prismaUserId
        self.workspaceId = workspaceId
        self.email = email
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.accessExpiresAt = accessExpiresAt
        self.scope = scope
        self.status = status
    }

    /// The values `status` can hold (the table's CHECK constraint).
    public static let statuses: Set<String> = ["active", "needs_reauth"]

    /// Decodes a row of `accounts`; throws like ``DatabaseRecord/init(row:)``.
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("accounts")
        id = try row.text("id")
        prismaUserId = try row.text("prisma_user_id")
        workspaceId = try row.text("workspace_id")
        email = try row.optionalText("email")
        accessToken = try row.blob("access_token")
        refreshToken = try row.optionalBlob("refresh_token")
        accessExpiresAt = try row.optionalInt64("access_expires_at")
        scope = try row.optionalText("scope")
        status = try row.text("status", oneOf: AccountRecord.statuses)
    }
}

/// Every SQL statement of the claim flow.
public enum ClaimsRepository {
    public static func link(tokenHash: [UInt8], in db: any SQLSession) throws -> ClaimLink? {
        try db.queryOne("SELECT database_id, expires_at, revoked_at FROM claim_links WHERE token_hash = ?", [tokenHash])
            .map(ClaimLink.init(row:))
    }

    public static func insertState(stateHash: [UInt8], record: OAuthStateRecord, now: Int64, in db: any SQLSession) throws {
        try db.execute("""
            INSERT INTO oauth_states (state_hash, database_id, claim_token, verifier, browser_hash, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, [stateHash, record.databaseId, record.claimToken, record.verifier, record.browserHash, now, record.expiresAt])
    }

    public static func state(stateHash: [UInt8], in db: any SQLSession) throws -> OAuthStateRecord? {
        try db.queryOne("""
            SELECT database_id, claim_token, verifier, browser_hash, expires_at, consumed_at FROM oauth_states WHERE state_hash = ?
            """, [stateHash]).map(OAuthStateRecord.init(row:))
    }

    /// Consumes a state exactly once: only if unused, unexpired and bound to this browser.
    public static func consumeState(stateHash: [UInt8], browserHash: [UInt8], now: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE oauth_states SET consumed_at = ?
            WHERE state_hash = ? AND consumed_at IS NULL AND expires_at > ? AND browser_hash = ?
            """, [now, stateHash, now, browserHash]) == 1
    }

    /// Deletes states that expired more than a day ago.
    public static func pruneStates(before: Int64, in db: any SQLSession) throws {
        try db.execute("DELETE FROM oauth_states WHERE expires_at < ?", [before])
    }

    /// Takes the claim lock of a ready database (a lock older than `staleBefore` is ignored).
    public static func lockClaim(databaseId: String, now: Int64, staleBefore: Int64, in db: any SQLSession) throws -> Bool {
        try db.execute("""
            UPDATE databases SET claim_started_at = ?
            WHERE id = ? AND status = 'ready' AND expires_at > ? AND (claim_started_at IS NULL OR claim_started_at < ?)
              AND transfer_started_at IS NULL
            """, [now, databaseId, now, staleBefore]) == 1
    }

    public static func unlockClaim(databaseId: String, in db: any SQLSession) throws {
        try db.execute("UPDATE databases SET claim_started_at = NULL WHERE id = ?", [databaseId])
    }

    /// ready → claimed: the stored credentials are dropped (`credentials = NULL`) and the claim
    /// links revoked. The partner received the credentials once, in the answer to its create; from
    /// the claim on the database belongs to the user, so the service keeps no copy to leak.
    public static func markClaimed(databaseId: String, workspaceId: String, accountId: String?, now: Int64, in db: any SQLSession) throws -> Bool {
        let changed = try db.execute("""
            UPDATE databases SET status = 'claimed', claimed_at = ?, claimed_workspace_id = ?, account_id = ?,
                claim_started_at = NULL, transfer_started_at = NULL, transfer_workspace_id = NULL, credentials = NULL, updated_at = ?
            WHERE id = ? AND status = 'ready'
            """, [now, workspaceId, accountId, now, databaseId]) == 1
        if changed { try DatabasesRepository.revokeClaimLinks(databaseId: databaseId, now: now, in: db) }
        return changed
    }

    /// The id of the account of a Prisma user in a workspace, if one exists.
    public static func accountID(prismaUserId: String, workspaceId: String, in db: any SQLSession) throws -> String? {
        try db.queryOne("SELECT id FROM accounts WHERE prisma_user_id = ? AND workspace_id = ?", [prismaUserId, workspaceId])?
            .labelled("accounts").text("id")
    }

    /// Inserts the account, or refreshes the grant of the row with the same id.
    public static func upsertAccount(_ account: AccountRecord, now: Int64, in db: any SQLSession) throws {
        try db.execute("""
            INSERT INTO accounts (id, prisma_user_id, workspace_id, email, access_token, refresh_token, access_expires_at,
                                  scope, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)
            ON CONFLICT (id) DO UPDATE SET email = excluded.email, access_token = excluded.access_token,
                refresh_token = excluded.refresh_token, access_expires_at = excluded.access_expires_at,
                scope = excluded.scope, status = 'active', updated_at = excluded.updated_at
            """, [account.id, account.prismaUserId, account.workspaceId, account.email, account.accessToken,
                  account.refreshToken, account.accessExpiresAt, account.scope, now, now])
    }
}
