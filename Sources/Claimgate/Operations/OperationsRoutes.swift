import Foundation
import HTTPServer
import Logging
import Prometheus
import Storage

/// `/healthz`, `/readyz` and `/metrics`: what an orchestrator and a scraper need.
struct OperationsRoutes {
    let database: Database
    let metrics: HTTPMetrics
    let upstream: UpstreamHealth
    let storageFaults: StorageFaults

    func register(in router: inout Router) {
        // Liveness answers on the polling thread: it never queues behind handler work.
        router.addImmediate("GET", "/healthz") { _ in
            .json(Array(#"{"status":"ok","version":"\#(ClaimgateVersion.current)"}"#.utf8))
        }
        router.get("/readyz") { request in
            guard await database.isReachable() else {
                throw ProblemDetails(
                    status: 503, code: "not-ready", title: "Service Unavailable",
                    detail: "The database is not reachable.", extensions: ["database": "unreachable"])
            }
            // Prisma being down degrades the service but does not make it unready: intents are
            // still recorded and finished when Prisma is back.
            return .json(Array(#"{"status":"ready","checks":{"database":"ok","prisma":"\#(upstream.status)"}}"#.utf8))
        }
        router.get("/metrics") { request in
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
