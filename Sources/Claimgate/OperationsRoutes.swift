import Foundation
import HTTPServer
import Storage

/// `/healthz`, `/readyz` and `/metrics`: what an orchestrator and a scraper need.
struct OperationsRoutes {
    let database: Database
    let metrics: HTTPMetrics

    func register(in router: inout Router) {
        // Liveness and metrics answer on the polling thread: they never queue behind handler work.
        router.addImmediate("GET", "/healthz") { _ in
            .json(Array(#"{"status":"ok","version":"\#(ClaimgateVersion.current)"}"#.utf8))
        }
        router.get("/readyz") { request in
            guard await database.isReachable() else {
                return ProblemDetails(
                    status: 503, code: "not-ready", title: "Service Unavailable",
                    detail: "The database is not reachable.", extensions: ["database": "unreachable"]
                ).response(requestID: request.requestID)
            }
            return .json(Array(#"{"status":"ready","checks":{"database":"ok"}}"#.utf8))
        }
        router.addImmediate("GET", "/metrics") { _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                body: metrics.exposition())
        }
    }
}
