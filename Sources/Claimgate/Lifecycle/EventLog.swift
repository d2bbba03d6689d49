import Foundation
import PrismaAPI
import Storage

/// Writes outbox events. Always called inside the transaction of the state change the event
/// reports, so a change and its event are committed together or not at all.
enum EventLog {
    /// The event types Claimgate emits.
    enum Kind: String {
        case ready = "database.ready"
        case claimed = "database.claimed"
        case claimFailed = "database.claim_failed"
        case expiring = "database.expiring"
        case expired = "database.expired"
        case deleted = "database.deleted"
        case needsReauth = "account.needs_reauth"
    }

    /// Records an event about a database; `data` is its public view (never secrets) plus `extra`.
    @discardableResult
    static func record(_ kind: Kind, database: DatabaseRecord, extra: [String: Any] = [:], now: Int64, in db: SQLiteConnection) throws -> String {
        var data = DatabaseView.object(database)
        for (key, value) in extra { data[key] = value }
        return try insert(kind, data: data, databaseId: database.id, accountId: nil, now: now, in: db)
    }

    /// Records an event about a connected account.
    @discardableResult
    static func record(_ kind: Kind, account: [String: Any], accountId: String, now: Int64, in db: SQLiteConnection) throws -> String {
        try insert(kind, data: account, databaseId: nil, accountId: accountId, now: now, in: db)
    }

    private static func insert(_ kind: Kind, data: [String: Any], databaseId: String?, accountId: String?, now: Int64,
                               in db: SQLiteConnection) throws -> String {
        let id = "evt_" + SecureRandom.idBody()
        let payload: [String: Any] = ["id": id, "type": kind.rawValue, "timestamp": Timestamp.string(milliseconds: now), "data": data]
        try EventsRepository.insert(
            id: id, type: kind.rawValue, databaseId: databaseId, accountId: accountId,
            payload: String(decoding: DatabaseView.encode(payload), as: UTF8.self), now: now, in: db)
        return id
    }
}
