import Foundation
import Storage

/// What the operator sees at `/admin` and `/admin/databases/<id>`.
extension AdminPages {
    /// How Prisma has been answering, from the process's own counters.
    struct PrismaHealth: Sendable {
        var status: String
        var consecutiveFailures: Int
        var rateLimited: Int
        var pacedCalls: Int
    }

    func dashboard(_ fleet: FleetSnapshot, now: Int64, prisma: PrismaHealth, webhooksConfigured: Bool, signedIn: Bool) -> String {
        let statuses = ["provisioning", "ready", "claimed", "expired", "deleted", "failed"]
        let total = fleet.counts.values.reduce(0, +)
        let counts = statuses.map { "<div><dt>\($0.capitalized)</dt><dd>\(fleet.counts[$0] ?? 0)</dd></div>" }.joined()
        let expiring = AdminPages.table(
            caption: "Ready databases that expire within 24 hours, soonest first", headers: ["Database", "Expires in", "Reference"],
            rows: fleet.expiring.map {
                [AdminPages.databaseLink($0.id, name: $0.name), AdminPages.cell(ClaimPages.timeLeft(milliseconds: $0.expiresAt - now)),
                 AdminPages.cell($0.reference ?? "–")]
            }, empty: "Nothing expires in the next 24 hours.")
        let failures = AdminPages.table(
            caption: "Databases whose creation failed, newest first", headers: ["Database", "When", "Reason"],
            rows: fleet.failed.map {
                [AdminPages.databaseLink($0.id, name: $0.name), "<td>\(AdminPages.time($0.updatedAt))</td>",
                 AdminPages.cell($0.failureReason ?? "unknown", className: "reason")]
            }, empty: "No failed creations.")
        let failureEvents = AdminPages.table(
            caption: "Failed claims and deletions, newest first", headers: ["Event", "Database", "When", "Reason"],
            rows: fleet.failureEvents.map { event in
                [AdminPages.cell(event.type), event.databaseId.map { AdminPages.databaseLink($0) } ?? AdminPages.cell("–"),
                 "<td>\(AdminPages.time(event.createdAt))</td>", AdminPages.cell(FleetSnapshot.reason(of: event) ?? "–", className: "reason")]
            }, empty: "No failed claims or deletions.")
        let deliveryErrors = AdminPages.table(
            caption: "Last delivery errors", headers: ["Event", "Database", "Attempts", "State", "Last error"],
            rows: fleet.deliveryErrors.map { error in
                [AdminPages.cell(error.type), error.databaseId.map { AdminPages.databaseLink($0) } ?? AdminPages.cell("–"),
                 AdminPages.cell("\(error.attempts)"), AdminPages.cell(error.state), AdminPages.cell(error.lastError, className: "reason")]
            }, empty: "No delivery errors.")
        let recent = AdminPages.table(
            caption: "The 20 newest databases", headers: ["Database", "Status", "Region", "Created"],
            rows: fleet.recent.map {
                [AdminPages.databaseLink($0.id, name: $0.name), AdminPages.cell($0.status.rawValue),
                 AdminPages.cell(RegionNames.displayName($0.region)), "<td>\(AdminPages.time($0.createdAt))</td>"]
            }, empty: "No databases yet.")
        let oldest = fleet.backlog.oldestPendingAt.map { "oldest waiting \(ClaimPages.timeLeft(milliseconds: now - $0))" } ?? "none waiting"
        let webhooks = webhooksConfigured
            ? "<p><strong>\(fleet.backlog.pending)</strong> pending (\(oldest)), <strong>\(fleet.backlog.failed)</strong> given up.</p>"
            : "<p>No webhook URL is configured: events are recorded for <code>GET /v1/events</code> only (\(fleet.backlog.pending) recorded, undelivered).</p>"
        return frame.document(title: "Fleet", """
            <div class="admin-head"><h1>Fleet</h1><p class="note">As of \(AdminPages.time(now)) · \(total) databases</p>\(signedIn ? AdminPages.signOut : "")</div>
            <section aria-labelledby="counts-h"><h2 id="counts-h">Databases by status</h2><dl class="counts">\(counts)</dl></section>
            <section aria-labelledby="funnel-h"><h2 id="funnel-h">Claim funnel</h2>
            <p class="note">Databases created in the period that reached Prisma, and how far their users got.</p>
            <div class="grid">
            <div class="card"><h3>Last 7 days</h3>\(FunnelChart.svg(fleet.funnel7, id: "f7", period: "last 7 days"))\(FunnelChart.table(fleet.funnel7, period: "last 7 days"))</div>
            <div class="card"><h3>Last 30 days</h3>\(FunnelChart.svg(fleet.funnel30, id: "f30", period: "last 30 days"))\(FunnelChart.table(fleet.funnel30, period: "last 30 days"))</div>
            </div></section>
            <div class="grid">
            <section class="card" aria-labelledby="prisma-h"><h2 id="prisma-h">Prisma</h2>
            <p>API \(AdminPages.statusBadge(prisma.status)) · \(prisma.consecutiveFailures) consecutive failed calls</p>
            <p>\(prisma.rateLimited) rate-limited answers (429) and \(prisma.pacedCalls) paced calls since start.</p></section>
            <section class="card" aria-labelledby="hooks-h"><h2 id="hooks-h">Webhooks</h2>\(webhooks)</section>
            </div>
            <section aria-labelledby="expiring-h"><h2 id="expiring-h">Expiring in the next 24 hours</h2>\(expiring)</section>
            <section aria-labelledby="failures-h"><h2 id="failures-h">Recent failures</h2>\(failures)\(failureEvents)</section>
            <section aria-labelledby="delivery-h"><h2 id="delivery-h">Webhook delivery errors</h2>\(deliveryErrors)</section>
            <section aria-labelledby="recent-h"><h2 id="recent-h">Recent databases</h2>
            <form class="find" method="get" action="/admin/databases"><div><label for="find-id">Database id</label>
            <input type="search" id="find-id" name="id" placeholder="cgdb_…" required pattern="cgdb_[a-z0-9]+"></div>
            <button type="submit" class="secondary">Show its timeline</button></form>
            \(recent)</section>
            """, branded: false)
    }

    /// Only a cookie session can be ended by the server (a browser keeps Basic credentials itself).
    static let signOut = #"<form method="post" action="/admin/logout"><button type="submit" class="secondary">Sign out</button></form>"#

    func timeline(_ record: DatabaseRecord, events: [EventRecord], webhooksConfigured: Bool) -> String {
        func row(_ label: String, _ value: String?) -> String {
            "<dt>\(AdminPages.escape(label))</dt><dd>\(AdminPages.escape(value ?? "–"))</dd>"
        }
        func timeRow(_ label: String, _ value: Int64?) -> String {
            "<dt>\(AdminPages.escape(label))</dt><dd>\(value.map(AdminPages.time) ?? "–")</dd>"
        }
        let facts = [
            row("Status", record.status.rawValue), row("Name", record.name),
            row("Region", "\(RegionNames.displayName(record.region)) (\(record.region))"), row("Reference", record.reference),
            row("Prisma project", record.projectId), row("Prisma database", record.prismaDatabaseId),
            timeRow("Created", record.createdAt), timeRow("Expires", record.expiresAt), timeRow("Claimed", record.claimedAt),
            row("Claimed into", record.claimedWorkspaceId), timeRow("Deleted", record.deletedAt), row("Deleted by", record.deletedBy),
            row("Failure", record.failureReason),
        ].joined()
        let items = events.map { event -> String in
            let reason = FleetSnapshot.reason(of: event).map { " — \(AdminPages.escape($0))" } ?? ""
            let delivery = webhooksConfigured
                ? "webhook \(AdminPages.escape(event.state)), \(event.attempts) attempt\(event.attempts == 1 ? "" : "s")"
                : "recorded (no webhook URL)"
            return "<li><strong>\(AdminPages.escape(event.type))</strong>\(reason)<br><span class=\"note\">\(AdminPages.time(event.createdAt)) · \(delivery)</span></li>"
        }
        let list = items.isEmpty ? "<p>No events yet.</p>" : "<ol class=\"timeline\">\(items.joined(separator: "\n"))</ol>"
        return frame.document(title: record.name, """
            <p><a href="/admin">← Fleet</a></p>
            <h1>\(AdminPages.escape(record.name))</h1><p><code>\(AdminPages.escape(record.id))</code></p>
            <div class="card"><dl class="facts">\(facts)</dl></div>
            <section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>\(list)</section>
            """, branded: false)
    }
}
