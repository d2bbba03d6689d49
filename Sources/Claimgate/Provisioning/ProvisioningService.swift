import Foundation
import Secrets
import HTTPServer
import Logging
import PrismaAPI
import Storage
import Synchronization

/// Provisioning limits from configuration.
public struct ProvisioningPolicy: Sendable {
    public var defaultRegion: String
    public var defaultTTLSeconds: Int
    public var maxTTLSeconds: Int

    public init(defaultRegion: String = "us-east-1", defaultTTLSeconds: Int = 86_400, maxTTLSeconds: Int = 604_800) {
        self.defaultRegion = defaultRegion
        self.defaultTTLSeconds = defaultTTLSeconds
        self.maxTTLSeconds = maxTTLSeconds
    }
}

/// The partner-facing operations on databases, independent of HTTP routing: each returns the
/// status and JSON body to send (problems included).
public final class ProvisioningService: Sendable {
    let database: Database
    let provisioner: Provisioner
    let upstream: any ProjectsUpstream
    let regions: RegionCatalog
    let box: SecretBox
    let clock: any WallClock
    let policy: ProvisioningPolicy
    let logger: Logger
    /// Idempotency keys whose first request is running in this process.
    private let inFlight = KeySet()

    public init(database: Database, provisioner: Provisioner, upstream: any ProjectsUpstream, regions: RegionCatalog,
                box: SecretBox, clock: any WallClock, policy: ProvisioningPolicy, logger: Logger) {
        self.database = database
        self.provisioner = provisioner
        self.upstream = upstream
        self.regions = regions
        self.box = box
        self.clock = clock
        self.policy = policy
        self.logger = logger
    }

    // MARK: Create

    /// `POST /v1/databases`.
    /// - Parameters:
    ///   - principal: Who asks (scopes idempotency keys).
    ///   - idempotencyKey: Already validated, or nil.
    public func create(body: [UInt8], principal: String, idempotencyKey: String?) async -> APIReply {
        let request: ProvisionRequest
        do {
            request = try ProvisionRequest.parse(body, regions: await regions.availableIDs(), maxTTL: policy.maxTTLSeconds)
        } catch {
            return APIReply.problem(error)
        }
        let now = clock.milliseconds()
        let idBody = SecureRandom.idBody()
        let ttl = request.ttlSeconds ?? min(policy.defaultTTLSeconds, policy.maxTTLSeconds)
        var record = DatabaseRecord(
            id: "cgdb_" + idBody, logicalId: "cg-" + idBody, status: .provisioning,
            name: request.name ?? "claimgate-\(idBody.prefix(8))", region: request.region ?? policy.defaultRegion,
            reference: request.reference, metadata: request.metadata, ttlSeconds: ttl,
            expiresAt: now + Int64(ttl) * 1000, createdAt: now)
        record.attempts = 1  // the create below is about to be sent (see Provisioner)
        let flightKey = idempotencyKey.map { "\(principal)\u{0}\($0)" }

        enum Start { case fresh(String), resume(String), reused, inFlight, replay(Int, [UInt8]) }
        let start: Start
        do {
            start = try await database.write { [inFlight] db -> Start in
                guard let key = idempotencyKey, let flightKey else {
                    try DatabasesRepository.insert(record, in: db)
                    return .fresh(record.id)
                }
                if let existing = try DatabasesRepository.findKey(principal: principal, key: key, in: db) {
                    guard existing.fingerprint == request.fingerprint else { return .reused }
                    if existing.state == .done, let status = existing.responseStatus, let sealed = existing.responseBody {
                        return .replay(status, sealed)
                    }
                    // In flight here, or abandoned (crash, or an answer we gave up waiting for): resume it.
                    return inFlight.insert(flightKey) ? .resume(existing.databaseId) : .inFlight
                }
                try DatabasesRepository.insert(record, in: db)
                try DatabasesRepository.insertKey(
                    principal: principal, key: key, fingerprint: request.fingerprint, databaseId: record.id, now: now, in: db)
                _ = inFlight.insert(flightKey)
                return .fresh(record.id)
            }
        } catch {
            logger.error("cannot record a provisioning intent", metadata: ["error": "\(error)"])
            return APIReply.problem(ProblemDetails(status: 503, code: "storage-unavailable", title: "Service Unavailable",
                                           detail: "The request could not be recorded; nothing was created. Retry."))
        }
        defer { if let flightKey { inFlight.remove(flightKey) } }

        let databaseID: String
        var fresh = false
        switch start {
        case .reused:
            return APIReply.problem(ProblemDetails(
                status: 422, code: "idempotency-key-reused", title: "Unprocessable Content",
                detail: "This Idempotency-Key was used with a different request body."))
        case .inFlight:
            return APIReply.problem(ProblemDetails(
                status: 409, code: "idempotency-key-in-flight", title: "Conflict",
                detail: "A request with this Idempotency-Key is still being processed; retry shortly."),
                headers: ["Retry-After": "1"])
        case .replay(let status, let sealed):
            return replay(status: status, sealed: sealed, principal: principal, key: idempotencyKey ?? "")
        case .fresh(let id):
            databaseID = id
            fresh = true
        case .resume(let id):
            databaseID = id
        }
        switch await provisioner.complete(databaseID, budget: .request, freshIntent: fresh) {
        case .ready(let status, let body):
            return APIReply(status: status, body: body, headers: ["Location": "/v1/databases/\(databaseID)"])
        case .failed(let problem):
            return APIReply.problem(problem)
        case .pending:
            return APIReply.problem(ProblemDetails(
                status: 503, code: "upstream-unavailable", title: "Service Unavailable",
                detail: "Prisma did not answer in time. The database is recorded and provisioning continues; repeat the request with the same Idempotency-Key to get its credentials.",
                extensions: ["databaseId": databaseID]), headers: ["Retry-After": "5"])
        case .settled:
            // Someone else finished it: the stored answer is the one to give.
            if let key = idempotencyKey,
               let stored = try? await database.read({ try DatabasesRepository.findKey(principal: principal, key: key, in: $0) }),
               let status = stored.responseStatus, let sealed = stored.responseBody {
                return replay(status: status, sealed: sealed, principal: principal, key: key)
            }
            return await get(databaseID)
        }
    }

    private func replay(status: Int, sealed: [UInt8], principal: String, key: String) -> APIReply {
        guard let body = try? box.open(sealed, context: IdempotencyContext.of(principal, key)) else {
            return APIReply.problem(ProblemDetails(status: 500, code: "stored-response-unreadable", title: "Internal Server Error",
                                           detail: "The stored answer for this key cannot be decrypted (was the encryption key changed?)."))
        }
        var headers: HTTPHeaders = ["Idempotent-Replayed": "true"]
        if status >= 400 { headers.set("Content-Type", "application/problem+json") }
        return APIReply(status: status, body: body, headers: headers)
    }

    // MARK: Extend

    /// `POST /v1/databases/{id}/extend` with `{"ttlSeconds": N}`: the database now expires N
    /// seconds from now, at most `maxTTLSeconds` after its creation.
    public func extend(_ id: String, body: [UInt8]) async -> APIReply {
        guard let object = JSON.decode([String: JSONValue].self, body), object.keys.allSatisfy({ $0 == "ttlSeconds" }),
              let seconds = object["ttlSeconds"]?.integer, seconds >= 60 else {
            return .problem(ProvisionRequest.invalid("ttlSeconds", "must be an integer of at least 60 (the only field)."))
        }
        guard let record = try? await database.read({ try DatabasesRepository.find(id, in: $0) }) else {
            return .problem(Self.notFound)
        }
        let now = clock.milliseconds()
        let expiresAt = now + Int64(seconds) * 1000
        let latest = record.createdAt + Int64(policy.maxTTLSeconds) * 1000
        guard expiresAt <= latest else {
            return .problem(ProvisionRequest.invalid(
                "ttlSeconds", "would expire after the maximum lifetime (\(policy.maxTTLSeconds) s from creation, \(Timestamp.string(milliseconds: latest)))."))
        }
        let changed = (try? await database.write { try DatabasesRepository.extend(id, expiresAt: expiresAt, now: now, in: $0) }) ?? false
        guard changed else {
            return .problem(ProblemDetails(status: 409, code: "not-extendable", title: "Conflict",
                                           detail: "Only a ready database that has not expired can be extended."))
        }
        logger.info("database extended", metadata: ["database_id": "\(id)", "expires_at": "\(Timestamp.string(milliseconds: expiresAt))"])
        return await get(id)
    }

    // MARK: Delete

    /// `DELETE /v1/databases/{id}`: deletes the Prisma project while the database is unclaimed.
    public func delete(_ id: String) async -> APIReply {
        guard let record = try? await database.read({ try DatabasesRepository.find(id, in: $0) }) else {
            return APIReply.problem(Self.notFound)
        }
        switch record.status {
        case .claimed:
            return APIReply.problem(ProblemDetails(status: 409, code: "already-claimed", title: "Conflict",
                                           detail: "The database was claimed; it belongs to the user's workspace now."))
        case .provisioning:
            return APIReply.problem(ProblemDetails(status: 409, code: "still-provisioning", title: "Conflict",
                                           detail: "The database is still being created; retry shortly."),
                            headers: ["Retry-After": "5"])
        case .deleted, .expired:
            return APIReply(status: 200, body: DatabaseView(record).bytes)
        case .ready, .failed:
            if record.status == .ready, let projectID = record.projectId {
                do {
                    try await upstream.deleteProject(id: projectID)
                } catch where error.kind == .notFound {
                    // Already gone upstream.
                } catch {
                    return APIReply.problem(ProblemDetails(
                        status: 503, code: "upstream-unavailable", title: "Service Unavailable",
                        detail: "Prisma could not delete the project right now; nothing changed. Retry."),
                        headers: ["Retry-After": "5"])
                }
            }
            let now = clock.milliseconds()
            _ = try? await database.write { db in
                if try DatabasesRepository.markGone(id, status: .deleted, now: now, in: db),
                   let deleted = try DatabasesRepository.find(id, in: db) {
                    try EventLog.record(.deleted, database: deleted, now: now, in: db)
                }
            }
            logger.info("database deleted", metadata: ["database_id": "\(id)"])
            return await get(id)
        }
    }

    static let notFound = ProblemDetails(status: 404, code: "database-not-found", title: "Not Found",
                                         detail: "No database with this id.")
}

extension ProblemDetails {
    /// The same problem, about a query parameter.
    var asQuery: ProblemDetails {
        var copy = self
        copy.code = "invalid-query"
        copy.type = ProblemDetails.typeURI(for: "invalid-query")
        return copy
    }
}

