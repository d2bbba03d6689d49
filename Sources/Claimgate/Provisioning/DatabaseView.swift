import Foundation
import HTTPServer
import PrismaAPI
import Storage
import Timestamps
import JSONValues

/// Credentials of a database as sealed in `databases.credentials`: `{"direct":…,"pooled":…|null}`
/// (`Codable` reads it back), written in place rather than by `JSONEncoder` (~20 µs per provision).
struct DatabaseCredentials: Codable, Sendable, JSONRepresentable {
    var direct: String
    var pooled: String?

    var json: [UInt8] {
        var writer = JSONObjectWriter()
        writer.string("direct", direct)
        writer.string("pooled", pooled)
        return writer.finished
    }
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
        // Written in key order directly, into one buffer: this runs on every API read, and a
        // list of members sorted per call was a measurable part of it. `extras` (event
        // payloads only) are merged in at their place.
        var members = Members(extras: extras)
        if let claimURL { members.string("claimUrl", claimURL) }
        members.timestamp("claimedAt", record.claimedAt)
        members.string("claimedWorkspaceId", record.claimedWorkspaceId)
        if let credentials { members.string("connectionString", credentials.direct) }
        members.timestamp("createdAt", record.createdAt)
        members.string("databaseId", record.prismaDatabaseId)
        members.string("deletedBy", record.deletedBy)
        members.timestamp("expiresAt", record.expiresAt)
        members.string("failureReason", record.failureReason)
        members.string("id", record.id)
        // Stored as canonical JSON by the parser: spliced in as it is (numbers keep every digit).
        members.raw("metadata", record.metadata.map { Array($0.utf8) } ?? JSONObjectWriter.null)
        members.string("name", record.name)
        if let credentials { members.string("pooledConnectionString", credentials.pooled) }
        members.string("projectId", record.projectId)
        members.string("reference", record.reference)
        members.string("region", record.region)
        members.string("status", record.status.rawValue)
        return members.finished
    }

    /// A writer that takes members in key order and slips the extras in where they sort.
    private struct Members {
        var writer = JSONObjectWriter()
        var extras: ArraySlice<(key: String, value: JSONValue)>

        init(extras: [String: JSONValue]) {
            self.extras = extras.isEmpty ? [] : extras.sorted { $0.key < $1.key }[...]
        }

        mutating func before(_ name: String) {
            while let next = extras.first, next.key < name {
                writer.raw(next.key, next.value.canonical)
                extras.removeFirst()
            }
        }

        mutating func string(_ name: String, _ value: String?) { before(name); writer.string(name, value) }
        mutating func timestamp(_ name: String, _ value: Int64?) { before(name); writer.timestamp(name, milliseconds: value) }
        mutating func raw(_ name: String, _ json: [UInt8]) { before(name); writer.raw(name, json) }

        var finished: [UInt8] {
            mutating get {
                before("\u{10FFFF}")
                return writer.finished
            }
        }
    }

    var bytes: [UInt8] { json }
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
