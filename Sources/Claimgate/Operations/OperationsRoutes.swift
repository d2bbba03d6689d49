import Foundation
import HTTPServer
import Logging
import PrismaAPI
import Prometheus
import Secrets
import Storage
import Synchronization

/// `/healthz`, `/readyz` and `/metrics`: what an orchestrator and a scraper need.
struct OperationsRoutes {
    let database: Database
    let metrics: HTTPMetrics
    let upstream: UpstreamHealth
    let storageFaults: StorageFaults
    /// `CLAIMGATE_METRICS_TOKEN`: when set, a scrape must bring it as a bearer token.
    let metricsToken: Secret?
    /// The Prisma pacer, for its 429 and waiting counts.
    let pacer: PrismaPacer
    /// Dropped log lines already counted.
    let droppedLinesSeen = DroppedLines()

    func register(in router: inout Router) {
        // Liveness answers on the polling thread: it never queues behind handler work.
        router.addImmediate("GET", "/healthz") { _ in
            .json(Array(#"{"status":"ok","version":"\#(ClaimgateVersion.current)"}"#.utf8))
        }
        router.get("/readyz") { request in
            guard await database.isReachable() else {
                throw ProblemDetails(
                    status: 503, code: "not-ready", title: "Service Unavailable",
                    detail: "The database (\(database.kind.rawValue)) is not reachable.",
                    extensions: ["database": "unreachable", "engine": database.kind.rawValue])
            }
            // Prisma being down degrades the service but does not make it unready: intents are
            // still recorded and finished when Prisma is back. The engine is named so that a
            // replica started without its CLAIMGATE_DATABASE_URL (alone on SQLite) shows.
            return .json(Array(#"{"status":"ready","checks":{"database":"ok","engine":"\#(database.kind.rawValue)","prisma":"\#(upstream.status)"}}"#.utf8))
        }
        let scrapers: [any HTTPMiddleware] = metricsToken.map { [MetricsAuthentication(tokenDigest: Digest.sha256($0.value))] } ?? []
        router.get("/metrics", middleware: scrapers) { request in
            await updateGauges(logger: request.logger)
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                body: metrics.exposition())
        }
    }

    /// Fleet and backlog gauges, refreshed at each scrape.
    func updateGauges(logger: Logger) async {
        let registry = metrics.registry
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "prisma", metricName: "rate_limited", unitName: "",
            helpText: "429 answers from Prisma since start (every caller of that credential then paused)."))
            .set(Double(await pacer.rateLimited))
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "prisma", metricName: "paced_calls", unitName: "",
            helpText: "Prisma calls that waited for the pacer since start."))
            .set(Double(await pacer.delayed))
        // A counter only moves up: add what was dropped since the last scrape.
        let dropped = LogSink.standardError.droppedLines
        let delta = droppedLinesSeen.seen.withLock { seen in defer { seen = max(seen, dropped) }; return max(0, dropped - seen) }
        registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "log", metricName: "lines_dropped", unitName: "total",
            helpText: "Log lines dropped because the log writer could not keep up (stderr blocked or slow)."))
            .increment(by: Int64(delta))
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "prisma", metricName: "consecutive_failures", unitName: "",
            helpText: "Prisma calls that failed in a row (5xx, timeouts, dropped connections)."))
            .set(Double(upstream.consecutiveFailures))
        let counts: OperationsRepository.Counts
        do {
            counts = try await database.read { try OperationsRepository.counts(in: $0) }
        } catch {
            // The scrape still answers (request and error counters matter most during an outage);
            // the fleet gauges keep their last values and the failure is counted.
            storageFaults.record(error, during: "metrics gauges", logger: logger)
            return
        }
        for status in DatabaseStatus.allCases {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "claimgate", metricName: "databases", unitName: "",
                                                 helpText: "Databases handed out, by status."),
                labels: [("status", status.rawValue)]
            ).set(Double(counts.databases[status.rawValue] ?? 0))
        }
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "claimgate", subsystem: "webhook", metricName: "events_pending", unitName: "",
            helpText: "Events not yet delivered to the partner."))
            .set(Double(counts.pendingEvents))
    }
}

/// `GET /metrics` behind a bearer token (compared in constant time, over the whole header value).
/// The metrics name no secret, but they do tell an outsider the fleet's size and error rates.
struct MetricsAuthentication: HTTPMiddleware {
    let tokenDigest: [UInt8]

    func handle(_ request: HTTPRequest, next: HTTPResponder) async throws -> HTTPResponse {
        guard let header = request.headers["Authorization"], header.utf8.count > 7, header.prefix(7).lowercased() == "bearer ",
              Digest.constantTimeEquals(Digest.sha256(String(header.dropFirst(7))), tokenDigest) else {
            throw ProblemDetails(status: 401, code: "unauthorized", title: "Unauthorized",
                                 detail: "This endpoint needs Authorization: Bearer <CLAIMGATE_METRICS_TOKEN>.",
                                 headers: ["WWW-Authenticate": "Bearer"])
        }
        return try await next(request)
    }
}

/// How many dropped log lines the metric has counted so far (shared by every copy of the routes).
final class DroppedLines: Sendable {
    let seen = Mutex(0)
}
