import Foundation
import HTTPServer
import PrismaAPI
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
/// explicit `null`s, as the OpenAPI document promises. Members are written in key order.
struct DatabaseView: JSONRepresentable {
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

    var json: [UInt8] {
        var members: [(String, [UInt8])] = [
            ("id", text(record.id)), ("status", text(record.status.rawValue)), ("name", text(record.name)),
            ("region", text(record.region)), ("reference", text(record.reference)),
            // Stored as canonical JSON by the parser: spliced in as it is (numbers keep every digit).
            ("metadata", record.metadata.map { Array($0.utf8) } ?? JSONObjectWriter.null),
            ("projectId", text(record.projectId)), ("databaseId", text(record.prismaDatabaseId)),
            ("expiresAt", text(Timestamp.string(milliseconds: record.expiresAt))),
            ("createdAt", text(Timestamp.string(milliseconds: record.createdAt))),
            ("claimedAt", text(record.claimedAt.map { Timestamp.string(milliseconds: $0) })),
            ("claimedWorkspaceId", text(record.claimedWorkspaceId)), ("failureReason", text(record.failureReason)),
            ("deletedBy", text(record.deletedBy)),
        ]
        if let credentials {
            members.append(("connectionString", text(credentials.direct)))
            members.append(("pooledConnectionString", text(credentials.pooled)))
        }
        if let claimURL { members.append(("claimUrl", text(claimURL))) }
        for (key, value) in extras { members.append((key, value.canonical)) }
        var writer = JSONObjectWriter()
        for (key, value) in members.sorted(by: { $0.0 < $1.0 }) { writer.raw(key, value) }
        return writer.finished
    }

    var bytes: [UInt8] { json }

    private func text(_ value: String?) -> [UInt8] {
        value.map { JSONText.string($0) } ?? JSONObjectWriter.null
    }
}

/// `{"data": [...], "nextCursor": …, "hasMore": …}` list answers (Claimgate's own; `PrismaAPI.Page`
/// decodes Prisma's). `nextCursor` and `hasMore` appear only on paginated lists.
struct ListBody {
    let data: [[UInt8]]
    var nextCursor: String??
    var hasMore: Bool?

    init(data: [some JSONRepresentable], nextCursor: String?? = nil, hasMore: Bool? = nil) {
        self.data = data.map(\.json)
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }

    /// A list of values `JSONEncoder` writes (Prisma's models), one document each.
    init(encoding items: [some Encodable]) {
        self.data = items.map { JSON.encode($0) }
    }

    var json: [UInt8] {
        var writer = JSONObjectWriter(capacity: 256 + data.reduce(0) { $0 + $1.count })
        writer.array("data", data)
        if let hasMore { writer.bool("hasMore", hasMore) }
        if let nextCursor { writer.string("nextCursor", nextCursor) }
        return writer.finished
    }
}
