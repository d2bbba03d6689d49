import Foundation
import Secrets
import Storage
import Timestamps
import JSONValues

/// Writes outbox events. Always called inside the transaction of the state change the event
/// reports, so a change and its event are committed together or not at all.
enum EventLog {
    /// The event types Claimgate emits.
    enum Kind: String {
        case ready = "database.ready"
        case claimed = "database.claimed"
        case claimFailed = "database.claim_failed"
        /// The claim page was shown (at most once per link per hour): the funnel's second step.
        case claimLinkOpened = "database.claim_link_opened"
        /// The user pressed "Sign in to Prisma and claim".
        case claimStarted = "database.claim_started"
        case expiring = "database.expiring"
        case expired = "database.expired"
        case deleted = "database.deleted"
        case deleteFailed = "database.delete_failed"
        case needsReauth = "account.needs_reauth"
        case orphanDeleted = "project.orphan_deleted"
    }

    /// An event as delivered: `{"data","id","timestamp","type"}`.
    static func envelope(id: String, type: String, timestamp: String, data: [UInt8]) -> [UInt8] {
        var writer = JSONObjectWriter()
        writer.raw("data", data)
        writer.string("id", id)
        writer.string("timestamp", timestamp)
        writer.string("type", type)
        return writer.finished
    }

    /// Records an event about a database; `data` is its public view (never secrets) plus `extras`.
    @discardableResult
    static func record(_ kind: Kind, database: DatabaseRecord, extras: [String: JSONValue] = [:], now: Int64, in db: any SQLSession) throws -> String {
        try insert(kind, data: DatabaseView(database, extras: extras), databaseId: database.id, accountId: nil, now: now, in: db)
    }

    /// Records that a project no database owned was deleted (see ``OrphanReconciler``).
    @discardableResult
    static func recordOrphanDeleted(projectId: String, logicalId: String, reason: String, now: Int64, in db: any SQLSession) throws -> String {
        struct Orphan: JSONRepresentable {
            let projectId: String, logicalId: String, reason: String
            var json: [UInt8] {
                var writer = JSONObjectWriter()
                writer.string("logicalId", logicalId)
                writer.string("projectId", projectId)
                writer.string("reason", reason)
                return writer.finished
            }
        }
        return try insert(.orphanDeleted, data: Orphan(projectId: projectId, logicalId: logicalId, reason: reason),
                          databaseId: nil, accountId: nil, now: now, in: db)
    }

    /// Records an event about a connected account.
    @discardableResult
    static func record(_ kind: Kind, account: AccountView, now: Int64, in db: any SQLSession) throws -> String {
        try insert(kind, data: account, databaseId: nil, accountId: account.account.id, now: now, in: db)
    }

    private static func insert(_ kind: Kind, data: some JSONRepresentable, databaseId: String?, accountId: String?, now: Int64,
                               in db: any SQLSession) throws -> String {
        let id = "evt_" + SecureRandom.timeOrderedIdBody(milliseconds: now)
        let payload = envelope(id: id, type: kind.rawValue, timestamp: Timestamp.string(milliseconds: now), data: data.json)
        try EventsRepository.insert(
            id: id, type: kind.rawValue, databaseId: databaseId, accountId: accountId,
            payload: String(decoding: payload, as: UTF8.self), now: now, in: db)
        return id
    }
}
