import Foundation
import Logging
import PrismaAPI
import Storage

/// Deletes projects Claimgate made that no database owns: the project of a create whose answer
/// was lost and which a later attempt could not find in time (listing lags), or a second project
/// of one database. It lists the partner workspace's projects and, for each whose `logicalId` has
/// the shape Claimgate gives (`cg-` and 24 lowercase letters or digits) and that is older than the
/// grace period, deletes it when no database has that `logicalId`, or when the database's project
/// is another one. Projects Claimgate did not make are never touched, nor any project of a
/// database still `provisioning` (recovery owns those).
public struct OrphanReconciler: Sendable {
    let database: Database
    let upstream: any ProjectsUpstream
    let clock: any WallClock
    let logger: Logger
    let grace: Int64
    /// Called once per orphan deleted (the `claimgate_orphan_projects_deleted_total` counter).
    let onDeleted: @Sendable () -> Void

    public struct Report: Sendable, Equatable {
        /// Deleted (or, in a dry run, to delete): project id → why.
        public var orphans: [String: String] = [:]
        public var examined = 0
    }

    public init(database: Database, upstream: any ProjectsUpstream, clock: any WallClock, logger: Logger, graceSeconds: Int,
                onDeleted: @escaping @Sendable () -> Void = {}) {
        self.onDeleted = onDeleted
        self.database = database
        self.upstream = upstream
        self.clock = clock
        self.logger = logger
        self.grace = Int64(graceSeconds) * 1000
    }

    static func isOurs(_ logicalId: String?) -> Bool {
        guard let logicalId, logicalId.hasPrefix("cg-") else { return false }
        let body = logicalId.dropFirst(3).utf8
        return body.count == 24 && body.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Deletes a project; one already gone counts as deleted.
    private func delete(_ projectID: String) async throws {
        do {
            try await upstream.deleteProject(id: projectID)
        } catch {
            if error.kind != .notFound { throw error }
        }
    }

    @discardableResult
    public func runOnce(dryRun: Bool = false) async throws -> Report {
        var report = Report()
        let now = clock.milliseconds()
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var cursor: String?
        repeat {
            let page = try await upstream.projects(cursor: cursor)
            for project in page.data where OrphanReconciler.isOurs(project.logicalId) {
                report.examined += 1
                let created = (parser.date(from: project.createdAt) ?? ISO8601DateFormatter().date(from: project.createdAt))
                    .map { Int64($0.timeIntervalSince1970 * 1000) } ?? now
                guard now - created >= grace, let logicalId = project.logicalId else { continue }
                let owner = try await database.read { try DatabasesRepository.find(logicalId: logicalId, in: $0) }
                let reason: String
                if let owner {
                    guard owner.status != .provisioning, let ownProject = owner.projectId, ownProject != project.id else { continue }
                    reason = "a second project of \(owner.id) (its project is \(ownProject))"
                } else {
                    reason = "no database has logicalId \(logicalId)"
                }
                if !dryRun {
                    try await delete(project.id)
                    let at = clock.milliseconds()
                    try await database.write { db in
                        try EventLog.recordOrphanDeleted(projectId: project.id, logicalId: logicalId, reason: reason, now: at, in: db)
                    }
                    onDeleted()
                    logger.notice("orphan project deleted", metadata: ["project_id": "\(project.id)", "reason": "\(reason)"])
                }
                report.orphans[project.id] = reason
            }
            cursor = page.pagination.hasMore ? page.pagination.nextCursor : nil
        } while cursor != nil
        return report
    }
}
