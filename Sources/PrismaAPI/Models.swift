import Secrets

// Typed values of the Management API responses Claimgate uses, decoded from the `{"data": …}`
// envelope (the create answer's types through `Models+JSON.swift`). Field names follow ../shared/prisma/openapi.json exactly; fields Claimgate does not
// read are left out (decoding ignores them), so additions upstream do not break us.

/// A thin reference to a parent resource.
public struct ResourceRef: Codable, Sendable, Equatable {
    public let id: String
    public let url: String?
    public let name: String
}

/// A project (`GET /v1/projects/{id}`, list items).
public struct Project: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let logicalId: String?
    public let createdAt: String
    public let defaultRegion: String?
    public let workspace: ResourceRef
}

/// One endpoint of a connection; `connectionString` (with password) only on create responses.
public struct ConnectionEndpoint: Codable, Sendable, Equatable {
    public let host: String
    public let port: Int
    public let connectionString: Secret?
}

/// A connection's endpoints.
public struct ConnectionEndpoints: Codable, Sendable, Equatable {
    public let direct: ConnectionEndpoint?
    public let pooled: ConnectionEndpoint?
}

/// A database connection (credentials).
public struct DatabaseConnection: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let kind: String
    public let endpoints: ConnectionEndpoints
}

/// The database created with a project.
public struct CreatedDatabase: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// `provisioning` or `ready`.
    public let status: String
    public let region: ResourceRef
    public let connections: [DatabaseConnection]
    public let defaultConnectionId: String?

    /// The first direct connection string (with password), as Prisma's own tools pick it.
    public var directConnectionString: Secret? {
        connections.lazy.compactMap { $0.endpoints.direct?.connectionString }.first
    }

    /// The first pooled connection string (with password).
    public var pooledConnectionString: Secret? {
        connections.lazy.compactMap { $0.endpoints.pooled?.connectionString }.first
    }
}

/// The answer of `POST /v1/projects`: the project and its default database.
public struct CreatedProject: Decodable, Sendable, Equatable {
    public let project: Project
    public let database: CreatedDatabase?

    public var id: String { project.id }
    public var name: String { project.name }
    public var logicalId: String? { project.logicalId }
    public var workspace: ResourceRef { project.workspace }
}

/// A database without credentials: as listed under its project, and as `GET /v1/databases/{id}`
/// answers. (Not named `Database`: the product's storage module has a type of that name.)
public struct ProjectDatabase: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// `failure`, `provisioning`, `ready` or `recovering`.
    public let status: String
    public let isDefault: Bool
    public let region: ResourceRef?
    public let createdAt: String?
    public let defaultConnectionId: String?
    /// The project the database belongs to.
    public let project: ResourceRef?

    /// Ready for connections (and for a transfer of its project).
    public var isReady: Bool { status == "ready" }
    /// Provisioning failed: waiting longer will not make it ready.
    public var hasFailed: Bool { status == "failure" }
}

/// `GET /v1/databases/{id}/usage` (a bare object, not in the `data` envelope).
public struct DatabaseUsage: Codable, Sendable, Equatable {
    public struct Period: Codable, Sendable, Equatable {
        public let start: String
        public let end: String
    }
    public struct Metric: Codable, Sendable, Equatable {
        public let used: Double
        /// `ops` for operations, `GiB` for storage.
        public let unit: String
    }
    public struct Metrics: Codable, Sendable, Equatable {
        public let operations: Metric
        public let storage: Metric
    }
    public let period: Period
    public let metrics: Metrics
    public let generatedAt: String
}

/// `GET /v1/workspaces/{id}/subscription`.
public struct WorkspaceSubscription: Codable, Sendable, Equatable {
    /// e.g. `Free`, `Starter`, `Pro`, `Business`.
    public let planName: String
    public let usageBlocked: Bool
    /// Where the workspace's owner can upgrade (a Console page).
    public let upgradeUrl: String
}

/// A Prisma Postgres region.
public struct Region: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// `available` or `unavailable`.
    public let status: String

    public init(id: String, name: String, status: String) {
        self.id = id
        self.name = name
        self.status = status
    }
}

/// A workspace visible to a token.
public struct Workspace: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let createdAt: String
}

/// `GET /v1/me`: who a token belongs to.
public struct Principal: Codable, Sendable, Equatable {
    public struct User: Codable, Sendable, Equatable {
        public let id: String
        public let email: String
        public let name: String?
    }
    public struct WorkspaceSummary: Codable, Sendable, Equatable {
        public let id: String
        public let name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }
    public struct Credential: Codable, Sendable, Equatable {
        /// `oauth`, `service_token` or `management_token`.
        public let type: String
        public let id: String?
        public let name: String?
    }
    public let user: User?
    public let workspace: WorkspaceSummary?
    public let credential: Credential
}

/// One page of a cursor-paginated list.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public struct Pagination: Codable, Sendable, Equatable {
        public let nextCursor: String?
        public let hasMore: Bool
    }
    public let data: [Item]
    public let pagination: Pagination
}

/// Tokens from the OAuth token endpoint.
public struct OAuthTokens: Sendable, Equatable {
    public let accessToken: Secret
    public let tokenType: String
    /// Seconds; Prisma sends 3600 but the field is optional in OAuth.
    public let expiresIn: Int?
    public let refreshToken: Secret?
    public let scope: String?
}

struct Envelope<T: Decodable>: Decodable {
    let data: T
}

struct ErrorEnvelope: Decodable {
    struct Body: Decodable {
        let code: String?
        let message: String?
        let hint: String?
    }
    let error: Body
}
