import Foundation
import PrismaAPI
import Storage

/// Credentials of a database as sealed in `databases.credentials`.
struct DatabaseCredentials: Codable, Sendable {
    var direct: String
    var pooled: String?
}

/// The partner-facing JSON of a database.
///
/// Connection strings (with the password) and the claim URL appear only in the creation answer
/// (as Prisma returns passwords only at creation); reads show everything else.
enum DatabaseView {
    static func object(_ record: DatabaseRecord, credentials: DatabaseCredentials? = nil, claimURL: String? = nil) -> [String: Any] {
        let null = NSNull()
        var json: [String: Any] = [
            "id": record.id,
            "status": record.status.rawValue,
            "name": record.name,
            "region": record.region,
            "reference": record.reference ?? null,
            "metadata": record.metadata.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? null,
            "projectId": record.projectId ?? null,
            "databaseId": record.prismaDatabaseId ?? null,
            "expiresAt": Timestamp.string(milliseconds: record.expiresAt),
            "createdAt": Timestamp.string(milliseconds: record.createdAt),
            "claimedAt": record.claimedAt.map { Timestamp.string(milliseconds: $0) } ?? null,
            "claimedWorkspaceId": record.claimedWorkspaceId ?? null,
            "failureReason": record.failureReason ?? null,
        ]
        if let credentials {
            json["connectionString"] = credentials.direct
            json["pooledConnectionString"] = credentials.pooled ?? null
        }
        if let claimURL { json["claimUrl"] = claimURL }
        return json
    }

    static func encode(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }
}
