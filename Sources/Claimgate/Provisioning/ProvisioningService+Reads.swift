import Foundation
import Logging
import PrismaAPI
import Storage

/// The read-only partner operations: one database, lists, the event outbox, regions.
extension ProvisioningService {
    /// `GET /v1/databases/{id}`.
    public func get(_ id: String) async throws -> DatabaseRecord {
        guard let record = try await database.read({ try DatabasesRepository.find(id, in: $0) }) else {
            throw ProvisioningError.databaseNotFound
        }
        return record
    }

    /// `get` done at once on the caller's thread, when storage can (``Database/readInline(_:)``):
    /// the record, or nil for anything but a database found — not found, storage unable to read
    /// inline, or a storage error. The caller then runs ``get(_:)``, which answers and reports
    /// each of those; an inline failure is logged here, as the full path may well succeed.
    public func getInline(_ id: String, logger requestLogger: Logger) -> DatabaseRecord? {
        do {
            return try database.readInline { try DatabasesRepository.find(id, in: $0) } ?? nil
        } catch {
            requestLogger.warning("inline read failed; answering on the storage thread",
                                  metadata: ["database_id": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    /// `GET /v1/databases?status=&reference=&limit=&cursor=`.
    public func list(status: String?, reference: String?, limit: String?, cursor: String?) async throws -> DatabasePage {
        var parsedStatus: DatabaseStatus?
        if let status {
            guard let value = DatabaseStatus(rawValue: status) else {
                throw ProvisioningError.invalidQuery("status", "must be one of \(DatabaseStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            parsedStatus = value
        }
        let size = limit.map { Int($0) ?? -1 } ?? 20
        guard (1...100).contains(size) else { throw ProvisioningError.invalidQuery("limit", "must be an integer from 1 to 100.") }
        var after: (Int64, String)?
        if let cursor {
            guard let decoded = Cursor.decode(cursor) else { throw ProvisioningError.invalidQuery("cursor", "is not a cursor this API returned.") }
            after = decoded
        }
        let position = after
        let records = try await database.read {
            try DatabasesRepository.list(status: parsedStatus, reference: reference, after: position, limit: size + 1, in: $0)
        }
        let page = Array(records.prefix(size))
        let next = records.count > size ? page.last.map { Cursor.encode($0.createdAt, $0.id) } : nil
        return DatabasePage(records: page, nextCursor: next, hasMore: records.count > size)
    }

    /// `GET /v1/events?after=<event id>&limit=`: the outbox, oldest first, for replay.
    public func events(after: String?, limit: String?) async throws -> (events: [EventRecord], hasMore: Bool) {
        let size = limit.map { Int($0) ?? -1 } ?? 100
        guard (1...500).contains(size) else { throw ProvisioningError.invalidQuery("limit", "must be an integer from 1 to 500.") }
        guard let events = try await database.read({ try EventsRepository.list(after: after, limit: size + 1, in: $0) }) else {
            throw ProvisioningError.invalidQuery("after", "is not the id of an event.")
        }
        return (Array(events.prefix(size)), events.count > size)
    }

    /// `GET /v1/databases/{id}/usage`: Prisma's figures for an unclaimed database (a claimed one
    /// belongs to the user's workspace: the partner's token no longer sees it).
    public func usage(_ id: String) async throws -> DatabaseUsage {
        let record = try await get(id)
        guard record.status == .ready, let prismaDatabaseID = record.prismaDatabaseId else {
            throw ProvisioningError.noUsage
        }
        do {
            return try await usageCatalog.usage(prismaDatabaseID: prismaDatabaseID)
        } catch {
            throw ProvisioningError.upstreamUnavailable("Prisma could not report the usage right now. Retry.")
        }
    }

    /// `GET /v1/regions`.
    public func regionList() async -> [Region] {
        await regions.regions()
    }
}
