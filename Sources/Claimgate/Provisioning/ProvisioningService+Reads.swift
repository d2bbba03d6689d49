import Foundation
import HTTPServer
import PrismaAPI
import Storage

/// The read-only partner operations: one database, lists, the event outbox, regions.
extension ProvisioningService {
    /// `GET /v1/databases/{id}`.
    public func get(_ id: String) async -> APIReply {
        guard let record = try? await database.read({ try DatabasesRepository.find(id, in: $0) }) else {
            return APIReply.problem(Self.notFound)
        }
        return APIReply(status: 200, body: DatabaseView(record).bytes)
    }

    /// `GET /v1/databases?status=&reference=&limit=&cursor=`.
    public func list(status: String?, reference: String?, limit: String?, cursor: String?) async -> APIReply {
        var parsedStatus: DatabaseStatus?
        if let status {
            guard let value = DatabaseStatus(rawValue: status) else {
                return APIReply.problem(ProvisionRequest.invalid("status", "must be one of \(DatabaseStatus.allCases.map(\.rawValue).joined(separator: ", ")).").asQuery)
            }
            parsedStatus = value
        }
        let size = limit.map { Int($0) ?? -1 } ?? 20
        guard (1...100).contains(size) else { return APIReply.problem(ProvisionRequest.invalid("limit", "must be an integer from 1 to 100.").asQuery) }
        var after: (Int64, String)?
        if let cursor {
            guard let decoded = Cursor.decode(cursor) else { return APIReply.problem(ProvisionRequest.invalid("cursor", "is not a cursor this API returned.").asQuery) }
            after = decoded
        }
        let reference = reference
        let records: [DatabaseRecord]
        do {
            records = try await database.read {
                try DatabasesRepository.list(status: parsedStatus, reference: reference, after: after, limit: size + 1, in: $0)
            }
        } catch {
            return APIReply.problem(ProblemDetails(status: 503, code: "storage-unavailable", title: "Service Unavailable"))
        }
        let page = Array(records.prefix(size))
        let next = records.count > size ? Cursor.encode(page.last!.createdAt, page.last!.id) : nil
        return APIReply(status: 200, body: JSON.encode(ListBody(data: page.map { DatabaseView($0) }, nextCursor: .some(next), hasMore: records.count > size)))
    }

    /// `GET /v1/events?after=<event id>&limit=`: the outbox, oldest first, for replay.
    public func events(after: String?, limit: String?) async -> APIReply {
        let size = limit.map { Int($0) ?? -1 } ?? 100
        guard (1...500).contains(size) else { return .problem(ProvisionRequest.invalid("limit", "must be an integer from 1 to 500.").asQuery) }
        let found: [EventRecord]?
        do {
            found = try await database.read { try EventsRepository.list(after: after, limit: size + 1, in: $0) }
        } catch {
            return .problem(ProblemDetails(status: 503, code: "storage-unavailable", title: "Service Unavailable"))
        }
        guard let events = found else {
            return .problem(ProvisionRequest.invalid("after", "is not the id of an event.").asQuery)
        }
        // Payloads are stored as the JSON we deliver: splice them in as they are.
        let page = events.prefix(size)
        let nextAfter = page.last?.id ?? after
        let tail = String(decoding: JSON.encode(["hasMore": JSONValue.bool(events.count > size),
                                                 "nextAfter": nextAfter.map { .string($0) } ?? .null]), as: UTF8.self)
        let body = "{\"data\":[" + page.map(\.payload).joined(separator: ",") + "]," + tail.dropFirst()
        return APIReply(status: 200, body: Array(body.utf8))
    }

    /// `GET /v1/regions`.
    public func regionList() async -> APIReply {
        APIReply(status: 200, body: JSON.encode(ListBody(data: await regions.regions())))
    }
}
