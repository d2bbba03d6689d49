import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

@Suite("Operations endpoints over loopback")
struct OperationsTests {
    @Test("healthz, readyz and metrics answer; metrics count requests by route and status")
    func operations() async throws {
        let app = try await RunningApp.start()
        let client = app.client
        let health = try await client.get("/healthz")
        #expect(health.status == 200)
        #expect(try health.json()["status"] as? String == "ok")
        let ready = try await client.get("/readyz")
        #expect(ready.status == 200)
        #expect(try ready.json()["status"] as? String == "ready")
        for _ in 0..<3 { _ = try await client.get("/healthz") }
        _ = try await client.get("/does-not-exist")
        let metrics = try await client.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        #expect(text.contains(#"claimgate_http_requests_total{method="GET",route="/healthz",status="200"} 4"#))
        #expect(text.contains(#"claimgate_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(text.contains(#"claimgate_http_request_duration_seconds_count{method="GET",route="/readyz"} 1"#))
        await app.stop()
    }

    @Test("readyz reports Prisma degraded after consecutive failures, and ok again after a success")
    func upstreamDegraded() async throws {
        let app = try await RunningApp.start()
        #expect(try await app.client.get("/readyz").json()["checks"] as? [String: String] == ["database": "ok", "engine": TestPostgres.isSelected ? "postgres" : "sqlite", "prisma": "ok"])
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 503, times: 100))
        app.emulator.inject(Fault(route: "GET /v1/projects", status: 503, times: 100))
        #expect(try await app.provision().status == 503)
        let degraded = try await app.client.get("/readyz")
        #expect(degraded.status == 200)  // still accepting work: intents are finished later
        #expect((try degraded.json()["checks"] as? [String: String])?["prisma"] == "degraded")
        #expect(try await app.client.get("/metrics").text.contains("claimgate_prisma_consecutive_failures"))
        app.emulator.clearFaults()
        _ = try await app.client.get("/v1/regions", headers: sandboxKey)
        _ = try await app.provision()
        #expect((try await app.client.get("/readyz").json()["checks"] as? [String: String])?["prisma"] == "ok")
        let metrics = try await app.client.get("/metrics").text
        #expect(metrics.contains(#"claimgate_databases{status="provisioning"} 1"#))
        #expect(metrics.contains(#"claimgate_databases{status="ready"} 1"#))
        #expect(metrics.contains("claimgate_webhook_events_pending 1"))
        await app.stop()
    }

    @Test("readyz answers 503 problem when the database is gone")
    func notReady() async throws {
        let app = try await RunningApp.start()
        await app.application.database.close()
        let ready = try await app.client.get("/readyz")
        #expect(ready.status == 503)
        #expect(ready.header("Content-Type") == "application/problem+json")
        #expect(try ready.json()["code"] as? String == "not-ready")
        await app.application.server.stop()
    }

    @Test("every request is logged as one JSON line with the request id it returned")
    func accessLog() async throws {
        let app = try await RunningApp.start()
        let reply = try await app.client.get("/v1/regions", headers: ["X-Request-Id": "trace-me-42"].merging(sandboxKey) { $1 })
        #expect(reply.header("X-Request-Id") == "trace-me-42")
        await app.stop()
        let line = try #require(app.logs.lines.first { $0.contains("trace-me-42") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "request")
        #expect(object["route"] as? String == "/v1/regions")
        #expect(object["status"] as? String == "200")
        #expect(object["level"] as? String == "info")
        #expect(app.logs.lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
    }

    @Test("probes are quiet at info; CLAIMGATE_LOG_PROBES=true logs them")
    func quietProbes() async throws {
        for loud in [false, true] {
            let app = try await RunningApp.start(["CLAIMGATE_LOG_PROBES": "\(loud)"], logLevel: .info)
            for path in ["/healthz", "/readyz", "/metrics"] {
                #expect(try await app.client.get(path, headers: ["X-Request-Id": "probe-\(loud)"]).status == 200)
            }
            #expect(try await app.client.get("/v1/regions", headers: ["X-Request-Id": "api-\(loud)"].merging(sandboxKey) { $1 }).status == 200)
            await app.stop()
            let probeLines = app.logs.lines.filter { $0.contains("\"probe-\(loud)\"") }
            #expect(probeLines.count == (loud ? 3 : 0), "loud=\(loud): \(probeLines)")
            #expect(app.logs.lines.filter { $0.contains("\"api-\(loud)\"") }.count == 1)
        }
    }
}

@Suite("Sandbox mode")
struct SandboxTests {
    @Test("without a service token the service runs against its built-in emulator and says so once")
    func sandbox() async throws {
        let app = try await RunningApp.start()
        let prisma = app.application.prisma
        let emulator = try #require(app.sandbox)
        #expect(prisma.management.baseURL.absoluteString == emulator.baseURL)
        let regions = try await prisma.management.postgresRegions(token: prisma.serviceToken)
        #expect(regions.count == 6)
        #expect(emulator.callCount("GET /v1/regions/postgres") == 1)
        #expect(app.logs.lines.filter { $0.contains("built-in Prisma emulator") }.count == 1)
        await app.stop()
    }

    @Test("with a service token the configured Prisma is used and no emulator starts")
    func realMode() async throws {
        var environment = [
            "PRISMA_SERVICE_TOKEN": "token-for-tests", "PRISMA_API_URL": "http://127.0.0.1:9",
            "PRISMA_CLIENT_ID": "client", "PRISMA_CLIENT_SECRET": "secret",
        ]
        // Outside sandbox mode secrets at rest need a real key: no key, no start.
        await #expect(throws: ConfigurationError.self) { _ = try await RunningApp.start(environment) }
        environment["CLAIMGATE_ENCRYPTION_KEY"] = Data(repeating: 1, count: 32).base64EncodedString()
        let app = try await RunningApp.start(environment)
        #expect(app.sandbox == nil)
        #expect(app.application.prisma.management.baseURL.absoluteString == "http://127.0.0.1:9")
        #expect(!app.logs.lines.contains { $0.contains("sandbox mode") })
        #expect(!app.logs.lines.contains { $0.contains("token-for-tests") })
        await app.stop()
    }
}
