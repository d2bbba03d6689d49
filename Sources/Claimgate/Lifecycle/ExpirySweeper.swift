import Foundation
import Logging
import Storage

/// Deletes unclaimed databases whose time is up, and warns before that.
///
/// A database stays `ready` (its link already says it expired) until Prisma confirms the project
/// is gone — `404` counts as gone — and only then becomes `expired`; a failed deletion is retried
/// with backoff, across restarts, because the rows themselves are the queue. Claimed databases are
/// never touched: only `ready` rows are swept, a claim in progress holds the claim lock, and the
/// partner's service token cannot delete a project that moved to a user's workspace anyway.
public struct ExpirySweeper: Sendable {
    let database: Database
    let upstream: any ProjectsUpstream
    let clock: any WallClock
    let logger: Logger
    /// Lead times (seconds, largest first) at which `database.expiring` is sent, once each.
    let leads: [Int]

    public struct Report: Sendable, Equatable {
        public var warned = 0
        public var expired = 0
        public var retrying = 0
        /// Refused for good by Prisma: recorded, not retried.
        public var blocked = 0
        public init() {}
    }

    @discardableResult
    public func runOnce() async throws -> Report {
        var report = Report()
        let now = clock.milliseconds()
        report.warned = try await warn(now: now)
        let due = try await database.read {
            try DatabasesRepository.expiredDue(now: now, staleLockBefore: now - ClaimService.staleClaimLock, limit: 100, in: $0)
        }
        for record in due {
            if Task.isCancelled { break }
            if let projectID = record.projectId {
                do {
                    try await upstream.deleteProject(id: projectID)
                } catch where error.kind == .notFound {
                    // Gone already.
                } catch where error.kind == .invalidRequest {
                    // Refused for good (dependencies prevent deletion): retrying cannot help. Stop, say
                    // so once, and leave it to the partner (DELETE by hand once the cause is gone).
                    let now = clock.milliseconds()
                    try await database.write { db in
                        try DatabasesRepository.scheduleDeleteRetry(record.id, next: Int64.max / 2, in: db)
                        try EventLog.record(.deleteFailed, database: record,
                                            extras: ["reason": .string(String(error.message.prefix(300)))], now: now, in: db)
                    }
                    logger.error("expired database cannot be deleted; not retried", metadata: [
                        "database_id": "\(record.id)", "error": "\(error)",
                    ])
                    report.blocked += 1
                    continue
                } catch {
                    let attempts = record.deleteAttempts + 1
                    let delay = min(3600, 10 << min(attempts, 20))
                    let next = clock.milliseconds() + Int64(Double(delay) * Double.random(in: 0.8...1.0) * 1000)
                    try await database.write { try DatabasesRepository.scheduleDeleteRetry(record.id, next: next, in: $0) }
                    logger.warning("expired database not deleted yet", metadata: [
                        "database_id": "\(record.id)", "attempt": "\(attempts)", "error": "\(error)",
                    ])
                    report.retrying += 1
                    continue
                }
            }
            let finished = clock.milliseconds()
            // The project is gone upstream; if this record fails, the next pass finds it gone (404)
            // and records it then.
            let gone = try await database.write { db -> Bool in
                guard try DatabasesRepository.markGone(record.id, status: .expired, now: finished, in: db),
                      let updated = try DatabasesRepository.find(record.id, in: db) else { return false }
                try EventLog.record(.expired, database: updated, now: finished, in: db)
                return true
            }
            if gone {
                report.expired += 1
                logger.info("database expired and deleted", metadata: ["database_id": "\(record.id)"])
            }
        }
        return report
    }

    /// One `database.expiring` per lead time. Smallest lead first: a database already inside
    /// several windows (a short TTL, a late start) gets one warning, for the smallest, and the
    /// larger leads it is inside are recorded as done, so it is never warned twice in a row.
    func warn(now: Int64) async throws -> Int {
        var warned = 0
        for lead in leads.sorted() {
            let due = try await database.read {
                try PageEventsRepository.dueWarnings(lead: Int64(lead) * 1000, leadSeconds: lead, now: now, limit: 500, in: $0)
            }
            for record in due {
                let remaining = record.expiresAt - now
                try await database.write { db in
                    for covered in leads where Int64(covered) * 1000 >= remaining {
                        try PageEventsRepository.recordWarning(record.id, leadSeconds: covered, now: now, in: db)
                    }
                    try EventLog.record(.expiring, database: record, extras: ["leadSeconds": .number("\(lead)")], now: now, in: db)
                }
                warned += 1
            }
        }
        return warned
    }
}
