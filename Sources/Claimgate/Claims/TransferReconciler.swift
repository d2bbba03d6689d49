import Logging
import PrismaAPI
import Storage
import Synchronization

/// Settles claims whose transfer was sent (or may have been) but whose outcome was never recorded:
/// the process died between the transfer and its record, the record failed, or Prisma's answer was
/// lost. It asks Prisma who owns the project, with the partner's service token:
///
/// - still visible to the partner → the transfer did not happen: the claim is released (the link
///   works again) and `database.claim_failed` says so;
/// - `404` → the project left the partner's workspace, into the one the user chose: the claim is
///   recorded (`database.claimed` with `reconciled: true`), so expiry can never touch it;
/// - anything else (Prisma down) → left for the next pass.
public struct TransferReconciler: Sendable {
    let database: Database
    let upstream: any ProjectsUpstream
    let clock: any WallClock
    let logger: Logger
    /// A mark younger than this may belong to a callback still running in this process.
    let grace: Int64

    public struct Report: Sendable, Equatable {
        public var claimed = 0
        public var released = 0
        public var pending = 0
        public init(claimed: Int = 0, released: Int = 0, pending: Int = 0) {
            self.claimed = claimed
            self.released = released
            self.pending = pending
        }
    }

    public init(database: Database, upstream: any ProjectsUpstream, clock: any WallClock, logger: Logger,
                graceMilliseconds: Int64 = ClaimService.staleClaimLock) {
        self.database = database
        self.upstream = upstream
        self.clock = clock
        self.logger = logger
        self.grace = graceMilliseconds
    }

    /// The periodic pass: everything at the first run (nothing of this process is in flight at
    /// start), then only marks older than the grace.
    static func pass(_ reconciler: TransferReconciler) -> @Sendable () async throws -> Void {
        let first = Mutex(true)
        return {
            let everything = first.withLock { value in defer { value = false }; return value }
            try await reconciler.runOnce(everything: everything)
        }
    }

    /// One pass. `everything` ignores the grace (at start, nothing of this process is in flight).
    @discardableResult
    public func runOnce(everything: Bool = false) async throws -> Report {
        var report = Report()
        let now = clock.milliseconds()
        let intents = try await database.read {
            try TransfersRepository.unresolved(startedBefore: everything ? now + 1 : now - grace, limit: 100, in: $0)
        }
        for intent in intents {
            if Task.isCancelled { break }
            do {
                _ = try await upstream.project(id: intent.projectId)
                let finished = clock.milliseconds()
                try await database.write { db in
                    try TransfersRepository.release(databaseId: intent.databaseId, now: finished, in: db)
                    if let record = try DatabasesRepository.find(intent.databaseId, in: db) {
                        try EventLog.record(.claimFailed, database: record, extras: [
                            "reason": .string("The transfer was not confirmed by Prisma; the project stayed in the partner's workspace."),
                            "reconciled": .bool(true),
                        ], now: finished, in: db)
                    }
                }
                report.released += 1
                logger.warning("unconfirmed transfer did not happen; claim released", metadata: ["database_id": "\(intent.databaseId)"])
            } catch let error as PrismaError where error.kind == .notFound {
                let finished = clock.milliseconds()
                try await database.write { db in
                    if try ClaimsRepository.markClaimed(databaseId: intent.databaseId, workspaceId: intent.workspaceId,
                                                       accountId: nil, now: finished, in: db),
                       let claimed = try DatabasesRepository.find(intent.databaseId, in: db) {
                        try EventLog.record(.claimed, database: claimed, extras: ["accountId": .null, "reconciled": .bool(true)],
                                            now: finished, in: db)
                    }
                }
                report.claimed += 1
                logger.notice("unrecorded transfer found and recorded as claimed", metadata: [
                    "database_id": "\(intent.databaseId)", "workspace_id": "\(intent.workspaceId)",
                ])
            } catch let error as PrismaError {
                report.pending += 1
                logger.warning("transfer not settled yet", metadata: ["database_id": "\(intent.databaseId)", "error": "\(error)"])
            }
        }
        return report
    }
}
