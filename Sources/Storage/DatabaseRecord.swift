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

    init(row: Row) {
        id = row["id"].string ?? ""
        logicalId = row["logical_id"].string ?? ""
        status = DatabaseStatus(rawValue: row["status"].string ?? "") ?? .failed
        name = row["name"].string ?? ""
        region = row["region"].string ?? ""
        reference = row["reference"].string
        metadata = row["metadata"].string
        projectId = row["project_id"].string
        prismaDatabaseId = row["prisma_database_id"].string
        credentials = row["credentials"].bytes
        failureReason = row["failure_reason"].string
        ttlSeconds = row["ttl_seconds"].int ?? 0
        expiresAt = row["expires_at"].int64 ?? 0
        attempts = row["attempts"].int ?? 0
        createdAt = row["created_at"].int64 ?? 0
        updatedAt = row["updated_at"].int64 ?? 0
        claimedAt = row["claimed_at"].int64
        claimedWorkspaceId = row["claimed_workspace_id"].string
        deletedAt = row["deleted_at"].int64
        deleteAttempts = row["delete_attempts"].int ?? 0
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
}
