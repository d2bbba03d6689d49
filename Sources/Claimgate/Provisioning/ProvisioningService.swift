import Foundation
import Logging
import Secrets
import Storage
import Synchronization
import Timestamps
import Timers

/// Provisioning limits from configuration.
public struct ProvisioningPolicy: Sendable {
    public var defaultRegion: String
    public var defaultTTLSeconds: Int
    public var maxTTLSeconds: Int
    /// Longest a create request waits for Prisma before it is answered `202 Accepted`.
    public var wait: Duration

    public init(defaultRegion: String = "us-east-1", defaultTTLSeconds: Int = 86_400, maxTTLSeconds: Int = 604_800,
                wait: Duration = .seconds(20)) {
        self.defaultRegion = defaultRegion
        self.defaultTTLSeconds = defaultTTLSeconds
        self.maxTTLSeconds = maxTTLSeconds
        self.wait = wait
    }
}

/// What `POST /v1/databases` produced.
public enum CreateResult: Sendable {
    /// Just created: the creation document (with secrets), to send once.
    case created(databaseId: String, body: [UInt8])
    /// The stored answer of an earlier request with the same idempotency key.
    case replayed(status: Int, body: [UInt8])
    /// Finished by another run with no answer stored for this request: the database as it is.
    case settled(DatabaseRecord)
    /// Still provisioning when the wait ran out (or the partner asked not to wait): the database
    /// without secrets, and the Idempotency-Key that returns the creation answer once it is ready
    /// (the partner's, or one made for a request that came without).
    case accepted(DatabaseRecord, idempotencyKey: String)
}

/// One page of databases.
public struct DatabasePage: Sendable {
    public var records: [DatabaseRecord]
    public var nextCursor: String?
    public var hasMore: Bool
}

/// The partner-facing operations on databases, independent of HTTP: each returns domain values and
/// throws a ``ProvisioningError`` or the storage module's error (never swallowed: a storage failure
/// is the caller's to report).
public final class ProvisioningService: Sendable {
    let database: Database
    let provisioner: Provisioner
    let upstream: any ProjectsUpstream
    let regions: RegionCatalog
    let usageCatalog: UsageCatalog
    let box: SecretBox
    let clock: any WallClock
    let policy: ProvisioningPolicy
    let logger: Logger
    /// Idempotency keys whose first request is running in this process (the key's row lease
    /// says the same across replicas; this answers a same-process duplicate without a write).
    private let inFlight = KeySet()
    /// Creates running now (see ``preferredExecutor``).
    private let creating = Atomic<Int>(0)
    let leases: Leases

    public init(database: Database, provisioner: Provisioner, upstream: any ProjectsUpstream, regions: RegionCatalog,
                box: SecretBox, clock: any WallClock, policy: ProvisioningPolicy, leases: Leases? = nil, logger: Logger) {
        self.leases = leases ?? provisioner.leases
        self.database = database
        self.provisioner = provisioner
        self.upstream = upstream
        self.regions = regions
        self.usageCatalog = UsageCatalog(client: regions.client, token: regions.token, clock: clock)
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
    /// - Parameter respondAsync: The partner sent `Prefer: respond-async`: answer `accepted` at once
    ///   instead of waiting up to the policy's wait.
    public func create(body: [UInt8], principal: String, idempotencyKey given: String?, respondAsync: Bool = false) async throws -> CreateResult {
        let executor = preferredExecutor
        creating.add(1, ordering: .relaxed)
        defer { creating.subtract(1, ordering: .relaxed) }
        return try await withTaskExecutorPreference(executor) {
            try await create(body: body, principal: principal, idempotencyKey: given, respondAsync: respondAsync, on: executor)
        }
    }

    /// Where a create should run (its request's task included, see ``PartnerRoutes``): on the
    /// storage writer's thread while at most one other create is running, else (nil) on Swift's
    /// global pool.
    ///
    /// Why: a provision is two write transactions around one Prisma call. On the pool, each of
    /// them is a hand-off to the writer thread and back, and Prisma's answer comes back through
    /// the pool too — each hand-off a thread wake-up of 20–45 µs here. Run on the writer thread,
    /// the transactions run inline and the answer wakes that thread directly (~4 fewer thread
    /// switches per provision, ~0.1 ms of a quiet provision's added p50). Under load, though, the
    /// writer thread is the one resource every provision shares: the parsing, sealing and
    /// encoding done there would queue behind every commit (−10 % throughput at 16 connections
    /// when always on), so busy provisioning stays on the pool.
    public var preferredExecutor: (any TaskExecutor)? {
        creating.load(ordering: .relaxed) < Self.writerThreadCreates ? database.taskExecutor : nil
    }

    /// Creates running at once below which a create runs on the writer's thread.
    static let writerThreadCreates = 2

    private func create(body: [UInt8], principal: String, idempotencyKey given: String?, respondAsync: Bool,
                        on executor: (any TaskExecutor)?) async throws -> CreateResult {
        let request = try ProvisionRequest.parse(body, regions: await regions.availableIDs(), maxTTL: policy.maxTTLSeconds)
        let now = clock.milliseconds()
        // Ids with the time first (see `SecureRandom.timeOrderedIdBody`): the rows of a run of
        // creates share the rightmost pages of every index on them.
        // A request without a key gets one of ours: if the answer has to be a 202, the partner can
        // only ever collect the credentials by repeating the request with a key (it is returned
        // with the 202), since secrets are never shown by a read.
        let idempotencyKey: String? = given ?? "cg-auto-" + SecureRandom.timeOrderedIdBody(milliseconds: now)
        let idBody = SecureRandom.timeOrderedIdBody(milliseconds: now)
        let ttl = request.ttlSeconds ?? min(policy.defaultTTLSeconds, policy.maxTTLSeconds)
        var record = DatabaseRecord(
            id: "cgdb_" + idBody, logicalId: "cg-" + idBody, status: .provisioning,
            name: request.name ?? "claimgate-\(idBody.suffix(8))", region: request.region ?? policy.defaultRegion,
            reference: request.reference, metadata: request.metadata, ttlSeconds: ttl,
            expiresAt: now + Int64(ttl) * 1000, createdAt: now)
        record.attempts = 1  // the create below is about to be sent (see Provisioner)
        record.onClaim = request.onClaim

        // The key is taken in this process before the transaction and released on every way out,
        // so a failed COMMIT can never leave it "in flight" until a restart.
        let flightKey = idempotencyKey.map { "\(principal)\u{0}\($0)" }
        if let flightKey, !inFlight.insert(flightKey) { throw ProvisioningError.idempotencyKeyInFlight }
        defer { if let flightKey { inFlight.remove(flightKey) } }

        // Across replicas the key's row carries the same "in flight" as a lease: taken in the
        // transaction that reads the key, released when this request ends without the answer
        // stored (a stored answer ends the flight by itself), expired if this replica dies.
        let lease = Lease(owner: leases.owner, until: leases.until(now))
        // The intent is committed without waiting for the disk (one flush less per provision):
        // nobody has been told of it yet, and every answer that reveals it — the 201 (`finish`),
        // a 202 or 503 (the key's release), a failure (`markFailed`) — follows a synced commit of
        // this process, which puts it on disk too. A power failure before that loses a request
        // nobody got an answer to (the partner retries with its key); the project its create
        // may have made is then an orphan, which the orphan reconciler deletes.
        let start = try await database.write(durability: .deferred) { db -> Start in
            guard let key = idempotencyKey else {
                try DatabasesRepository.insert(record, runLease: lease, in: db)
                return .fresh(record.id)
            }
            if let existing = try DatabasesRepository.findKey(principal: principal, key: key, in: db) {
                guard existing.fingerprint == request.fingerprint else { return .reused }
                if existing.state == .done, let status = existing.responseStatus, let sealed = existing.responseBody {
                    return .replay(status, sealed)
                }
                guard try LeasesRepository.takeKey(
                    principal: principal, key: key, owner: lease.owner, until: lease.until, now: now, in: db)
                else { return .elsewhere }
                // Abandoned (crash, or an answer we gave up waiting for): resume it.
                return .resume(existing.databaseId)
            }
            try DatabasesRepository.insert(record, runLease: lease, in: db)
            try DatabasesRepository.insertKey(
                principal: principal, key: key, fingerprint: request.fingerprint, databaseId: record.id, now: now, lease: lease,
                in: db)
            return .fresh(record.id)
        }
        if case .elsewhere = start { throw ProvisioningError.idempotencyKeyInFlight }
        guard let key = idempotencyKey, start.holdsKey else {
            return try await run(start: start, record: record, principal: principal, idempotencyKey: idempotencyKey,
                                 respondAsync: respondAsync, on: executor)
        }
        do {
            let result = try await run(start: start, record: record, principal: principal, idempotencyKey: key, respondAsync: respondAsync,
                                       on: executor)
            if case .created = result { return result }  // the stored answer ended the flight
            try await releaseKey(principal: principal, key: key)
            return result
        } catch {
            // The answer given is the error; a failed release only leaves the lease to expire.
            do { try await releaseKey(principal: principal, key: key) } catch {
                logger.warning("idempotency key lease not released", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }

    private func releaseKey(principal: String, key: String) async throws {
        let owner = leases.owner
        try await database.write { try LeasesRepository.releaseKey(principal: principal, key: key, owner: owner, in: $0) }
    }

    /// How a create begins, decided in the transaction that reads its idempotency key.
    private enum Start {
        case fresh(String), resume(String), reused, replay(Int, [UInt8]), elsewhere

        /// Whether this request took the key's lease (and must give it back).
        var holdsKey: Bool {
            switch self {
            case .fresh, .resume: true
            case .reused, .replay, .elsewhere: false
            }
        }
    }

    /// The rest of a create once the key is held: run (or join) the provisioning, answer.
    private func run(start: Start, record: DatabaseRecord, principal: String, idempotencyKey: String?,
                     respondAsync: Bool, on executor: (any TaskExecutor)?) async throws -> CreateResult {
        let databaseID: String
        var fresh = false
        switch start {
        case .reused: throw ProvisioningError.idempotencyKeyReused
        case .replay(let status, let sealed):
            return .replayed(status: status, body: try replayBody(sealed, principal: principal, key: idempotencyKey ?? ""))
        case .fresh(let id):
            databaseID = id
            fresh = true
        case .resume(let id):
            databaseID = id
        case .elsewhere:
            throw ProvisioningError.idempotencyKeyInFlight
        }
        // The run belongs to the provisioner, not to this request: it goes on when the wait ends
        // (the recovery pass would pick the row up anyway; this just does not make it wait).
        let provisioner = self.provisioner
        let inserted = fresh ? record : nil, freshIntent = fresh
        let answer = try await Self.value(within: respondAsync ? .zero : policy.wait, executor: executor, logger: logger, databaseID: databaseID) {
            try await provisioner.complete(databaseID, budget: .request, freshIntent: freshIntent, inserted: inserted, inCallersTask: true)
        }
        guard let outcome = answer else {
            return .accepted(try await get(databaseID), idempotencyKey: idempotencyKey ?? "")
        }
        switch outcome {
        case .ready(let body):
            return .created(databaseId: databaseID, body: body)
        case .failed(let reason):
            throw ProvisioningError.upstreamRejected(databaseId: databaseID, reason: reason)
        case .pending:
            throw ProvisioningError.provisioningPending(databaseId: databaseID)
        case .settled:
            // Someone else finished it: the stored answer is the one to give, else the database as
            // it is now (without secrets: they went to whoever finished it).
            if let key = idempotencyKey,
               let stored = try await database.read({ try DatabasesRepository.findKey(principal: principal, key: key, in: $0) }),
               let status = stored.responseStatus, let sealed = stored.responseBody {
                return .replayed(status: status, body: try replayBody(sealed, principal: principal, key: key))
            }
            return .settled(try await get(databaseID))
        }
    }

    /// Runs `work` in a task of its own (preferring `executor`) and returns its value, or nil when
    /// `limit` passes first; the work goes on either way.
    ///
    /// The work's own task answers the waiter, and a deadline (``Deadlines``) gives up on it: one
    /// task per provision instead of three (the work, a task awaiting its value and a sleeping
    /// timer task, each a thread wake-up on the way to the answer), and no timer thread woken.
    /// Not a task group: a group waits for all its children. A run that fails after the waiter
    /// gave up is logged here, since nobody else hears of it (the recovery pass picks its row up
    /// again).
    static func value<T: Sendable>(within limit: Duration, executor: (any TaskExecutor)? = nil, logger: Logger, databaseID: String,
                                   of work: @escaping @Sendable () async throws -> T) async throws -> T? {
        let late: @Sendable (Result<T, any Error>) -> Void = { result in
            guard case .failure(let error) = result else { return }
            logger.warning("provisioning run failed after the request was answered",
                           metadata: ["database_id": "\(databaseID)", "error": "\(error)"])
        }
        if limit == .zero {
            Task { late(await .of(work)) }
            return nil
        }
        let first = FirstAnswer<T?>()
        return try await withCheckedThrowingContinuation { continuation in
            first.set(continuation)
            let deadline = Deadlines.shared.add(after: limit) { first.resume(with: .success(nil)) }
            Task(executorPreference: executor) {
                let result = await Result.of(work)
                Deadlines.shared.cancel(deadline)
                if !first.resume(with: result.map { Optional.some($0) }) { late(result) }
            }
        }
    }

    private func replayBody(_ sealed: [UInt8], principal: String, key: String) throws(ProvisioningError) -> [UInt8] {
        do {
            return try box.open(sealed, context: IdempotencyContext.of(principal, key))
        } catch {
            logger.error("stored idempotent answer unreadable", metadata: ["error": "\(error)"])
            throw .storedResponseUnreadable
        }
    }

    // MARK: Extend

    /// `POST /v1/databases/{id}/extend`: the database now expires `seconds` from now, at most
    /// `maxTTLSeconds` after its creation.
    public func extend(_ id: String, seconds: Int) async throws -> DatabaseRecord {
        guard seconds >= 60 else { throw ProvisioningError.invalidBody("ttlSeconds", "must be an integer of at least 60 (the only field).") }
        // Checked before any arithmetic: a huge value must be a 400, never an overflow.
        guard seconds <= policy.maxTTLSeconds else {
            throw ProvisioningError.invalidBody("ttlSeconds", "must be at most \(policy.maxTTLSeconds) (the maximum lifetime).")
        }
        let record = try await get(id)
        let now = clock.milliseconds()
        let expiresAt = now + Int64(seconds) * 1000
        let latest = record.createdAt + Int64(policy.maxTTLSeconds) * 1000
        guard expiresAt <= latest else {
            throw ProvisioningError.invalidBody(
                "ttlSeconds", "would expire after the maximum lifetime (\(policy.maxTTLSeconds) s from creation, \(Timestamp.string(milliseconds: latest))).")
        }
        let changed = try await database.write { db -> Bool in
            guard try DatabasesRepository.extend(id, expiresAt: expiresAt, now: now, in: db) else { return false }
            try PageEventsRepository.resetWarnings(id, remaining: expiresAt - now, in: db)
            return true
        }
        guard changed else { throw ProvisioningError.notExtendable }
        logger.info("database extended", metadata: ["database_id": "\(id)", "expires_at": "\(Timestamp.string(milliseconds: expiresAt))"])
        return try await get(id)
    }

    // MARK: Delete

    /// Who asks for a delete: the partner (`DELETE /v1/databases/{id}`) or the end user (the claim page).
    public enum Deleter: String, Sendable {
        case partner, user
    }

    /// `DELETE /v1/databases/{id}` (and the claim page's delete): deletes the Prisma project while
    /// the database is unclaimed, records who asked, and emits `database.deleted` with `deletedBy`.
    public func delete(_ id: String, by deleter: Deleter = .partner) async throws -> DatabaseRecord {
        let record = try await get(id)
        switch record.status {
        case .claimed: throw ProvisioningError.alreadyClaimed
        case .provisioning: throw ProvisioningError.stillProvisioning
        case .deleted, .expired: return record
        case .ready, .failed:
            if record.status == .ready, let projectID = record.projectId {
                // The partner is bound by the claim lock too: take it, so no claim can start a
                // transfer while the project is being deleted, and none in progress is undercut.
                // (An expired database can no longer be claimed: no lock is needed, or possible.)
                let now = clock.milliseconds()
                let unclaimable = record.expiresAt <= now
                var locked = unclaimable
                if !unclaimable {
                    locked = try await database.write {
                        try ClaimsRepository.lockClaim(databaseId: id, now: now, staleBefore: now - ClaimService.staleClaimLock, in: $0)
                    }
                }
                guard locked else {
                    let current = try await get(id)
                    if current.status == .claimed { throw ProvisioningError.alreadyClaimed }
                    throw ProvisioningError.claimInProgress
                }
                do {
                    try await upstream.deleteProject(id: projectID)
                } catch where error.kind == .notFound {
                    // Already gone upstream.
                } catch {
                    logger.warning("project not deleted", metadata: ["database_id": "\(id)", "error": "\(error)"])
                    if !unclaimable { try await database.write { try ClaimsRepository.unlockClaim(databaseId: id, in: $0) } }
                    // A 400 is a permanent refusal (dependencies prevent deletion): say so, not "retry".
                    if error.kind == .invalidRequest { throw ProvisioningError.deleteBlocked(error.message) }
                    throw ProvisioningError.upstreamUnavailable("Prisma could not delete the project right now; nothing changed. Retry.")
                }
            }
            let now = clock.milliseconds()
            // The project is gone upstream: a storage failure here is reported (503) and the
            // partner's retry finds the project gone (404 counts as deleted) and records it then.
            try await database.write { db in
                guard try DatabasesRepository.markGone(id, status: .deleted, now: now, in: db) else { return }
                try PageEventsRepository.recordDeletedBy(id, by: deleter.rawValue, in: db)
                if let deleted = try DatabasesRepository.find(id, in: db) {
                    try EventLog.record(.deleted, database: deleted, now: now, in: db)
                }
            }
            logger.info("database deleted", metadata: ["database_id": "\(id)", "deleted_by": "\(deleter.rawValue)"])
            return try await get(id)
        }
    }
}

/// A continuation that the first of several racers resumes; later answers are dropped.
final class FirstAnswer<T: Sendable>: Sendable {
    private let slot = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<T, any Error>) { slot.withLock { $0 = continuation } }

    /// Whether this answer reached the waiter (false: another one did first).
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let continuation = slot.withLock { slot -> CheckedContinuation<T, any Error>? in
            defer { slot = nil }
            return slot
        }
        continuation?.resume(with: result)
        return continuation != nil
    }
}
