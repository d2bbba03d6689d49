/// Where a handed-out database is in its life.
public enum DatabaseStatus: String, Sendable, CaseIterable, Codable {
    /// Intent recorded; the Prisma project may or may not exist yet.
    case provisioning
    /// Created (or adopted) upstream; credentials stored; claimable.
    case ready
    /// Transferred into the user's workspace.
    case claimed
    /// Deleted upstream after its TTL ran out unclaimed.
    case expired
    /// Deleted on the partner's request.
    case deleted
    /// Prisma refused to create it, or it could not be created in time.
    case failed
}

/// One row of `databases`. Times are Unix milliseconds.
public struct DatabaseRecord: Sendable, Equatable {
    public var id: String
    public var logicalId: String
    public var status: DatabaseStatus
    public var name: String
    public var region: String
    public var reference: String?
    /// The partner's metadata as JSON text.
    public var metadata: String?
    public var projectId: String?
    public var prismaDatabaseId: String?
    /// AES-GCM sealed credentials (see the application's secret box).
    public var credentials: [UInt8]?
    public var failureReason: String?
    public var ttlSeconds: Int
    public var expiresAt: Int64
    public var attempts: Int
    public var createdAt: Int64
    public var updatedAt: Int64
    public var claimedAt: Int64?
    public var claimedWorkspaceId: String?
    public var deletedAt: Int64?
    /// Failed expiry deletions so far.
    public var deleteAttempts: Int = 0
    /// The Prisma connection whose password went to the partner (rotated or revoked at claim).
    public var connectionId: String?
    /// `keep`, `rotate` or `revoke` chosen at creation; nil means the service's default.
    public var onClaim: String?
    /// Who deleted a `deleted` database: `partner` or `user` (nil otherwise).
    public var deletedBy: String?

    public init(
        id: String, logicalId: String, status: DatabaseStatus, name: String, region: String, reference: String?,
        metadata: String?, ttlSeconds: Int, expiresAt: Int64, createdAt: Int64
    ) {
        self.id = id
        self.logicalId = logicalId
        self.status = status
        self.name = name
        self.region = region
        self.reference = reference
        self.metadata = metadata
        self.ttlSeconds = ttlSeconds
        self.expiresAt = expiresAt
        self.attempts = 0
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// Decodes a row selected with ``DatabasesRepository``'s columns. Throws on a missing column,
    /// a NULL in a required one, a value of the wrong type, or an unknown status: see
    /// ``StorageError/unexpectedRow(table:column:found:)`` for why nothing defaults.
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("databases")
        id = try row.text("id")
        logicalId = try row.text("logical_id")
        status = try row.enumValue(DatabaseStatus.self, "status")
        name = try row.text("name")
        region = try row.text("region")
        reference = try row.optionalText("reference")
        metadata = try row.optionalText("metadata")
        projectId = try row.optionalText("project_id")
        prismaDatabaseId = try row.optionalText("prisma_database_id")
        credentials = try row.optionalBlob("credentials")
        failureReason = try row.optionalText("failure_reason")
        ttlSeconds = try row.int("ttl_seconds")
        expiresAt = try row.int64("expires_at")
        attempts = try row.int("attempts")
        createdAt = try row.int64("created_at")
        updatedAt = try row.int64("updated_at")
        claimedAt = try row.optionalInt64("claimed_at")
        claimedWorkspaceId = try row.optionalText("claimed_workspace_id")
        deletedAt = try row.optionalInt64("deleted_at")
        deleteAttempts = try row.int("delete_attempts")
        connectionId = try row.optionalText("connection_id")
        onClaim = try row.optionalText("on_claim")
        deletedBy = try row.optionalText("deleted_by")
    }
}

/// One row of `idempotency_keys`.
public struct IdempotencyRecord: Sendable, Equatable {
    public enum State: String, Sendable { case inFlight = "in_flight", done }
    public var principal: String
    public var key: String
    public var fingerprint: String
    public var state: State
    public var databaseId: String
    public var responseStatus: Int?
    /// AES-GCM sealed response body.
    public var responseBody: [UInt8]?

    /// Decodes a row of `idempotency_keys`; throws like ``DatabaseRecord/init(row:)``, an unknown
    /// state included (read as `in_flight`, it would make a finished request wait forever).
    public init(row: Row) throws(StorageError) {
        let row = row.labelled("idempotency_keys")
        principal = try row.text("principal")
        key = try row.text("key")
        fingerprint = try row.text("fingerprint")
        state = try row.enumValue(State.self, "state")
        databaseId = try row.text("database_id")
        responseStatus = try row.optionalInt("response_status")
        responseBody = try row.optionalBlob("response_body")
    }
}
