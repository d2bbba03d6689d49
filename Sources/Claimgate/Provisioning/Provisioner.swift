import Foundation
import Secrets
import Logging
import PrismaAPI
import Storage
import Synchronization

/// Drives a `provisioning` row to `ready` (or `failed`) without ever creating a duplicate project.
///
/// Prisma's create has no idempotency key, so the row's `logicalId` is the correlation name:
/// every create is preceded by a durable `attempts + 1`, and any attempt after the first starts by
/// looking the project up by `logicalId`, adopting it if it exists (with fresh credentials, since
/// the password is only returned by the create that was lost). Work on one row is single-flight:
/// a partner retry, a concurrent duplicate and the recovery pass all wait on the same run — in
/// this process by joining its task, across replicas by the row's run lease (see ``Leases``): a
/// replica that finds the lease taken follows the row until it settles or the lease expires.
public actor Provisioner {
    /// How hard one run tries before leaving the row to a later run.
    public struct Budget: Sendable {
        public var attempts: Int
        public var backoff: RetryPolicy
        public init(attempts: Int, backoff: RetryPolicy) {
            self.attempts = attempts
            self.backoff = backoff
        }
        public static let request = Budget(attempts: 3, backoff: RetryPolicy(baseDelay: .milliseconds(200), maxDelay: .seconds(2)))
        public static let background = Budget(attempts: 1, backoff: .none)
    }

    /// How a run ended.
    public enum Outcome: Sendable {
        /// Just became ready: the creation answer (JSON body with secrets).
        case ready(body: [UInt8])
        /// Prisma refused for good (or the database was given up on); the row is `failed`.
        case failed(reason: String)
        /// Still provisioning (Prisma unreachable or ambiguous); a later run continues.
        case pending(PrismaError)
        /// The row was not provisioning (already settled, or unknown).
        case settled(DatabaseRecord?)
    }

    let database: Database
    let upstream: any ProjectsUpstream
    let box: SecretBox
    let clock: any WallClock
    let publicURL: String
    /// After a create that may have landed, how long a project that is not listed yet may still
    /// appear (Prisma's listing lags, and it does not refuse a second project with the same
    /// logicalId): no new create is sent until this has passed since the last one.
    let settle: Duration
    let logger: Logger
    let leases: Leases
    /// The one run per database (a create, an adoption, or a give-up), joined by every caller.
    private var running: [String: RunHandle] = [:]

    public init(database: Database, upstream: any ProjectsUpstream, box: SecretBox, clock: any WallClock,
                publicURL: String, settle: Duration = .zero, leases: Leases? = nil, logger: Logger) {
        self.settle = settle
        self.leases = leases ?? Leases(database: database, clock: clock, durationSeconds: 60)
        self.database = database
        self.upstream = upstream
        self.box = box
        self.clock = clock
        self.publicURL = publicURL
        self.logger = logger
    }

    /// Runs (or joins the run already going for) this database.
    ///
    /// Throws the storage module's error when the state cannot be read or recorded: the caller
    /// reports it (503) and the recovery pass picks the row up again, so nothing is lost.
    /// - Parameter freshIntent: The row was just inserted with `attempts = 1` by the caller, so
    ///   the first create needs neither a lookup nor another commit.
    ///   - inserted: The row as the caller just inserted it, if it did: the first attempt then
    ///     starts from it instead of reading it back (one SQLite round trip less per provision).
    ///   - inCallersTask: Run in the caller's task instead of a task of its own. Only for a caller
    ///     whose task exists for this run and is never cancelled (a request's provisioning task):
    ///     it saves a task and two thread wake-ups per provision. Otherwise the run has a task of
    ///     its own, so that a cancelled caller (the recovery pass at shutdown) leaves it running.
    public func complete(_ id: String, budget: Budget, freshIntent: Bool = false, inserted: DatabaseRecord? = nil,
                         inCallersTask: Bool = false) async throws -> Outcome {
        // A fresh intent was inserted with this process's run lease (same transaction).
        let leased = freshIntent && inserted?.id == id
        return try await singleFlight(id, leased: leased, follow: budget.attempts > 1, ownTask: !inCallersTask) {
            try await $0.run(id, budget: budget, freshIntent: freshIntent, inserted: inserted)
        }
    }

    /// Runs `work` as the one run of this database, or joins the run already going: in this
    /// process by its handle, in another replica by its run lease.
    /// - Parameters:
    ///   - leased: This process already holds the run lease (it inserted the row with it).
    ///   - follow: When another replica holds the lease, follow the row until it settles or the
    ///     lease expires (a partner's request); otherwise leave it at once (a background pass).
    ///   - ownTask: Run `work` in a task of its own (see ``complete(_:budget:freshIntent:inserted:inCallersTask:)``).
    private func singleFlight(_ id: String, leased: Bool = false, follow: Bool = false, ownTask: Bool = true,
                              _ work: @escaping @Sendable (Provisioner) async throws -> Outcome) async throws -> Outcome {
        if let run = running[id] {
            let joined = try await run.value()
            // A run that started between our insert and this call (the recovery pass) could not
            // take the lease we hold, and left: the run is ours to do.
            guard leased, case .pending = joined else { return joined }
        }
        let body: @Sendable () async throws -> Outcome = {
            if !leased, let elsewhere = try await self.waitForLease(id, follow: follow) { return elsewhere }
            let outcome: Outcome
            do {
                outcome = try await work(self)
            } catch {
                // The caller gets the run's error; a failed release leaves the lease to expire.
                do { try await self.releaseLease(id) } catch {
                    self.logger.warning("run lease not released", metadata: ["database_id": "\(id)", "error": "\(error)"])
                }
                throw error
            }
            // Settled rows need no release (a lease only matters while `provisioning`); a pending
            // one is handed back so the next run, here or in another replica, need not wait.
            if case .pending = outcome { try await self.releaseLease(id) }
            return outcome
        }
        let handle = RunHandle()
        running[id] = handle
        let result: Result<Outcome, any Error>
        if ownTask {
            result = await Task { try await body() }.result
        } else {
            result = await .of(body)
        }
        if running[id] === handle { running[id] = nil }
        handle.finish(result)
        return try result.get()
    }

    /// Takes the row's run lease; nil once held. While another replica holds it: `.pending` at
    /// once, or (`follow`) `.settled` when that replica settles the row, polling every 200 ms.
    private func waitForLease(_ id: String, follow: Bool) async throws -> Outcome? {
        while true {
            let now = clock.milliseconds(), owner = leases.owner, until = leases.until(now)
            let taken = try await database.write { try LeasesRepository.takeRun(id, owner: owner, until: until, now: now, in: $0) }
            if taken { return nil }
            let found = try await database.read { try DatabasesRepository.find(id, in: $0) }
            guard let record = found, record.status == .provisioning else { return .settled(found) }
            guard follow else {
                return .pending(PrismaError(kind: .timeout, message: "another replica is provisioning this database"))
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func releaseLease(_ id: String) async throws {
        let owner = leases.owner
        try await database.write { try LeasesRepository.releaseRun(id, owner: owner, in: $0) }
    }

    private func run(_ id: String, budget: Budget, freshIntent: Bool, inserted: DatabaseRecord?) async throws -> Outcome {
        var lastError = PrismaError(kind: .network, message: "not attempted")
        for attempt in 0..<max(1, budget.attempts) {
            if attempt > 0, let delay = budget.backoff.delay(afterAttempt: attempt - 1, error: lastError) {
                // Cancellation only shortens the wait: the loop then stops at its next check.
                try? await Task.sleep(for: delay)
            }
            let found = attempt == 0 && inserted?.id == id ? inserted : try await database.read { try DatabasesRepository.find(id, in: $0) }
            guard let record = found, record.status == .provisioning else { return .settled(found) }
            do {
                return try await step(record, firstOfFreshIntent: freshIntent && attempt == 0)
            } catch let error as PrismaError {
                lastError = error
                if error.kind == .conflict { continue }  // logicalId taken: the next step looks it up
                if error.isTransient || error.mayHaveBeenApplied { continue }
                return try await fail(record, because: error)
            }
        }
        logger.warning("provisioning still pending", metadata: ["database_id": "\(id)", "error": "\(lastError)"])
        return .pending(lastError)
    }

    /// One attempt: look up first when an earlier create may have landed, else create.
    ///
    /// `attempts` counts creates that may have been sent, and is raised durably *before* each one.
    /// A fresh intent was inserted with `attempts = 1` by the caller, so its first create needs
    /// neither the lookup nor another commit; any other attempt trusts only what is stored.
    private func step(_ record: DatabaseRecord, firstOfFreshIntent: Bool) async throws -> Outcome {
        let alreadyRecorded = firstOfFreshIntent && record.attempts > 0
        if !alreadyRecorded {
            if record.attempts > 0 {
                if let existing = try await upstream.findProject(logicalId: record.logicalId) {
                    logger.info("adopting project created by an earlier attempt", metadata: [
                        "database_id": "\(record.id)", "project_id": "\(existing.id)",
                    ])
                    return try await adopt(record, projectID: existing.id)
                }
                // Not listed (yet). Creating again now could make a second project of a create that
                // did land: wait out the settle window since the last attempt (a later run goes on).
                let sinceLast = clock.milliseconds() - record.updatedAt
                if sinceLast < Int64(settle / .milliseconds(1)) {
                    throw PrismaError(kind: .timeout, message: "an earlier create may still appear; not creating again yet")
                }
            }
            let now = clock.milliseconds(), id = record.id
            try await database.write { try DatabasesRepository.recordAttempt(id, now: now, in: $0) }
        }
        let created = try await upstream.createProject(name: record.name, region: record.region, logicalId: record.logicalId)
        guard let createdDatabase = created.database, let direct = createdDatabase.directConnectionString else {
            return try await adopt(record, projectID: created.id)
        }
        if createdDatabase.status != "ready" { try await waitUntilReady(record, databaseID: createdDatabase.id) }
        let credentials = DatabaseCredentials(direct: direct.value, pooled: createdDatabase.pooledConnectionString?.value)
        // The connection whose password the partner gets (rotated or revoked at claim, if asked).
        let connectionID = createdDatabase.connections.first { $0.endpoints.direct?.connectionString != nil }?.id
            ?? createdDatabase.defaultConnectionId
        return try await finish(record, projectID: created.id, prismaDatabaseID: createdDatabase.id, connectionID: connectionID,
                                credentials: credentials)
    }

    /// A created database is not ready while Prisma still provisions it (or recovers it): a claim
    /// would be refused meanwhile. Polls with backoff (0.25 s doubling to 5 s) until `ready`; a
    /// `failure` ends the run as failed. Transient errors while polling are retried here; the
    /// request's wait ends independently (202), and the run goes on.
    private func waitUntilReady(_ record: DatabaseRecord, databaseID: String) async throws {
        var delay: Duration = .milliseconds(250)
        let giveUp = ContinuousClock.now + .seconds(900)
        while ContinuousClock.now < giveUp {
            if let current = try await pollDatabase(databaseID) {
                if current.isReady { return }
                if current.hasFailed {
                    throw PrismaError(kind: .invalidRequest, message: "Prisma reports the database failed to provision")
                }
            }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
        throw PrismaError(kind: .timeout, message: "the database was still provisioning after 15 minutes")
    }

    /// One look at a database; nil after a transient failure (the next poll tries again).
    private func pollDatabase(_ id: String) async throws -> ProjectDatabase? {
        do {
            return try await upstream.database(id: id)
        } catch {
            if error.isTransient { return nil }
            throw error
        }
    }

    /// Takes over a project whose create answer we never saw: new credentials for its database.
    private func adopt(_ record: DatabaseRecord, projectID: String) async throws -> Outcome {
        let databases = try await upstream.databases(projectID: projectID)
        guard let target = databases.first(where: \.isDefault) ?? databases.first else {
            throw PrismaError(kind: .invalidResponse, message: "the adopted project has no database yet")
        }
        if !target.isReady { try await waitUntilReady(record, databaseID: target.id) }
        // A unique name: a retried create of a connection must not collide with the one before.
        let connection = try await upstream.createConnection(databaseID: target.id, name: "claimgate-" + SecureRandom.idBody(8))
        guard let direct = connection.endpoints.direct?.connectionString else {
            throw PrismaError(kind: .invalidResponse, message: "new connection without a connection string")
        }
        let credentials = DatabaseCredentials(direct: direct.value, pooled: connection.endpoints.pooled?.connectionString?.value)
        return try await finish(record, projectID: projectID, prismaDatabaseID: target.id, connectionID: connection.id,
                                credentials: credentials)
    }

    /// provisioning → ready, the claim link and every waiting idempotency key, in one transaction.
    private func finish(_ record: DatabaseRecord, projectID: String, prismaDatabaseID: String?, connectionID: String?,
                        credentials: DatabaseCredentials) async throws -> Outcome {
        let now = clock.milliseconds()
        let claimToken = SecureRandom.token()
        var ready = record
        ready.status = .ready
        ready.projectId = projectID
        ready.prismaDatabaseId = prismaDatabaseID
        let body = DatabaseView(ready, credentials: credentials, claimURL: "\(publicURL)/claim/\(claimToken)").bytes
        let sealed = box.seal(credentials.json, context: "databases.credentials:\(record.id)")
        let box = self.box
        let changed = try await database.write { db -> Bool in
            guard try DatabasesRepository.markReady(
                record.id, projectId: projectID, prismaDatabaseId: prismaDatabaseID, connectionId: connectionID, credentials: sealed,
                now: now, in: db)
            else { return false }
            try DatabasesRepository.insertClaimLink(
                tokenHash: Digest.sha256(claimToken), databaseId: record.id, now: now, expiresAt: record.expiresAt, in: db)
            try EventLog.record(.ready, database: ready, now: now, in: db)
            for key in try DatabasesRepository.pendingKeys(databaseId: record.id, in: db) {
                try DatabasesRepository.completeKey(
                    principal: key.principal, key: key.key, status: 201,
                    body: box.seal(body, context: IdempotencyContext.of(key.principal, key.key)), in: db)
            }
            return true
        }
        guard changed else { return .settled(try await database.read { try DatabasesRepository.find(record.id, in: $0) }) }
        logger.info("database ready", metadata: ["database_id": "\(record.id)", "project_id": "\(projectID)"])
        return .ready(body: body)
    }

    /// Marks a database that could not be provisioned in time as failed (used by the recovery pass).
    /// A project that appears later under its `logicalId` is left to the partner to delete.
    ///
    /// The give-up is itself the database's one run: a create that starts meanwhile joins it
    /// (and sees `failed`) instead of racing it, and a give-up never lands under a running create.
    @discardableResult
    public func giveUp(_ id: String, reason: String) async throws -> Outcome {
        try await singleFlight(id) { provisioner in
            let found = try await provisioner.database.read { try DatabasesRepository.find(id, in: $0) }
            guard let record = found, record.status == .provisioning else { return .settled(found) }
            return try await provisioner.fail(record, reason: reason)
        }
    }

    /// provisioning → failed because Prisma refused.
    private func fail(_ record: DatabaseRecord, because error: PrismaError) async throws -> Outcome {
        try await fail(record, reason: "Prisma refused to create the project: \(error.code ?? error.kind.rawValue) (\(error.message))")
    }

    /// provisioning → failed, answering waiting keys with the same problem.
    private func fail(_ record: DatabaseRecord, reason: String) async throws -> Outcome {
        let stored = PartnerProblems.problem(for: ProvisioningError.upstreamRejected(databaseId: record.id, reason: reason))
            .encoded(typePrefix: PartnerProblems.typePrefix)
        let now = clock.milliseconds()
        let box = self.box
        try await database.write { db in
            guard try DatabasesRepository.markFailed(record.id, reason: String(reason.prefix(500)), now: now, in: db) else { return }
            for key in try DatabasesRepository.pendingKeys(databaseId: record.id, in: db) {
                try DatabasesRepository.completeKey(
                    principal: key.principal, key: key.key, status: 502,
                    body: box.seal(stored, context: IdempotencyContext.of(key.principal, key.key)), in: db)
            }
        }
        logger.error("provisioning failed", metadata: ["database_id": "\(record.id)", "reason": "\(reason)"])
        return .failed(reason: reason)
    }
}

/// The authenticated-data string of a stored idempotent response.
enum IdempotencyContext {
    static func of(_ principal: String, _ key: String) -> String { "idempotency_keys.response_body:\(principal):\(key)" }
}

/// One run of a database, for the callers that join it: its outcome once it has one.
final class RunHandle: Sendable {
    private enum State {
        case running([CheckedContinuation<Provisioner.Outcome, any Error>])
        case finished(Result<Provisioner.Outcome, any Error>)
    }

    private let state = Mutex<State>(.running([]))

    /// The run's outcome (or error), waiting for it if need be.
    func value() async throws -> Provisioner.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let finished = state.withLock { state -> Result<Provisioner.Outcome, any Error>? in
                switch state {
                case .finished(let result): return result
                case .running(var waiting):
                    waiting.append(continuation)
                    state = .running(waiting)
                    return nil
                }
            }
            if let finished { continuation.resume(with: finished) }
        }
    }

    func finish(_ result: Result<Provisioner.Outcome, any Error>) {
        let waiting = state.withLock { state -> [CheckedContinuation<Provisioner.Outcome, any Error>] in
            defer { state = .finished(result) }
            if case .running(let waiting) = state { return waiting }
            return []
        }
        for continuation in waiting { continuation.resume(with: result) }
    }
}
