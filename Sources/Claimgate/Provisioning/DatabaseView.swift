import Foundation
import Storage
import Timestamps

/// Credentials of a database as sealed in `databases.credentials`.
struct DatabaseCredentials: Codable, Sendable {
    var direct: String
    var pooled: String?
}

/// The partner-facing JSON of a database.
///
/// Connection strings (with the password) and the claim URL appear only in the creation answer
/// (as Prisma returns passwords only at creation); reads show everything else. Absent values are
/// explicit `null`s, as the OpenAPI document promises.
struct DatabaseView: Encodable {
    let record: DatabaseRecord
    var credentials: DatabaseCredentials?
    var claimURL: String?
    /// Event-specific members (e.g. `reason`, `accountId`).
    var extras: [String: JSONValue] = [:]

    init(_ record: DatabaseRecord, credentials: DatabaseCredentials? = nil, claimURL: String? = nil, extras: [String: JSONValue] = [:]) {
        self.record = record
        self.credentials = credentials
        self.claimURL = claimURL
        self.extras = extras
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSON.Key.self)
        func put(_ key: String, _ value: String?) throws { try container.encode(value, forKey: JSON.Key(key)) }
        try put("id", record.id)
        try put("status", record.status.rawValue)
        try put("name", record.name)
        try put("region", record.region)
        try put("reference", record.reference)
        try container.encode(record.metadata.flatMap { JSON.parse(Array($0.utf8)) } ?? .null, forKey: JSON.Key("metadata"))
        try put("projectId", record.projectId)
        try put("databaseId", record.prismaDatabaseId)
        try put("expiresAt", Timestamp.string(milliseconds: record.expiresAt))
        try put("createdAt", Timestamp.string(milliseconds: record.createdAt))
        try put("claimedAt", record.claimedAt.map { Timestamp.string(milliseconds: $0) })
        try put("claimedWorkspaceId", record.claimedWorkspaceId)
        try put("failureReason", record.failureReason)
        if let credentials {
            try put("connectionString", credentials.direct)
            try put("pooledConnectionString", credentials.pooled)
        }
        if let claimURL { try put("claimUrl", claimURL) }
        for (key, value) in extras { try container.encode(value, forKey: JSON.Key(key)) }
    }

    var bytes: [UInt8] { JSON.encode(self) }
}

/// `{"data": [...]}` list answers (Claimgate's own; `PrismaAPI.Page` decodes Prisma's).
struct ListBody<Item: Encodable>: Encodable {
    let data: [Item]
    var nextCursor: String??
    var hasMore: Bool?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: JSON.Key.self)
        try container.encode(data, forKey: JSON.Key("data"))
        if let nextCursor { try container.encode(nextCursor, forKey: JSON.Key("nextCursor")) }
        if let hasMore { try container.encode(hasMore, forKey: JSON.Key("hasMore")) }
    }
}
