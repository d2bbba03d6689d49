import Storage

/// Everything the dashboard shows about the fleet, read in one transaction (one consistent view).
struct FleetSnapshot: Sendable {
    var counts: [String: Int]
    var funnel7: AdminQueries.Funnel
    var funnel30: AdminQueries.Funnel
    var expiring: [DatabaseRecord]
    var failed: [DatabaseRecord]
    var failureEvents: [EventRecord]
    var backlog: AdminQueries.WebhookBacklog
    var deliveryErrors: [AdminQueries.DeliveryError]
    var recent: [DatabaseRecord]

    static let day: Int64 = 86_400_000
    static let failureTypes = [EventLog.Kind.claimFailed.rawValue, EventLog.Kind.deleteFailed.rawValue]

    static func load(now: Int64, in db: any SQLSession) throws -> FleetSnapshot {
        FleetSnapshot(
            counts: try OperationsRepository.counts(in: db).databases,
            funnel7: try AdminQueries.funnel(since: now - 7 * day, in: db),
            funnel30: try AdminQueries.funnel(since: now - 30 * day, in: db),
            expiring: try AdminQueries.expiring(now: now, until: now + day, limit: 50, in: db),
            failed: try AdminQueries.failedDatabases(limit: 10, in: db),
            failureEvents: try AdminQueries.latestEvents(types: failureTypes, limit: 10, in: db),
            backlog: try AdminQueries.webhookBacklog(in: db),
            deliveryErrors: try AdminQueries.deliveryErrors(limit: 10, in: db),
            recent: try AdminQueries.recentDatabases(limit: 20, in: db))
    }

    /// The `reason` an event carries in its data (claim_failed, delete_failed), if any.
    static func reason(of event: EventRecord) -> String? {
        guard case .object(let envelope)? = JSON.parse(Array(event.payload.utf8)),
              case .object(let data)? = envelope["data"], case .string(let reason)? = data["reason"] else { return nil }
        return reason
    }
}
