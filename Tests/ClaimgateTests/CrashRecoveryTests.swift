import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Claimgate as a separate process against an emulator in the test process, so the test can
/// SIGKILL it at a chosen moment.
struct ClaimgateUnderTest {
    let emulator: PrismaEmulator
    let database: String
    let port: UInt16
    /// More environment (webhook settings, …).
    var extra: [String: String] = [:]
    static let apiKey = "crash-test-key-0123456789"

    var environment: [String: String] {
        let client = emulator.configuration.clients[0]
        return [
            "CLAIMGATE_PORT": "\(port)", "CLAIMGATE_DATABASE_PATH": database, "CLAIMGATE_DATABASE_SYNCHRONOUS": "NORMAL",
            "CLAIMGATE_API_KEYS": ClaimgateUnderTest.apiKey,
            "CLAIMGATE_ENCRYPTION_KEY": Data(repeating: 9, count: 32).base64EncodedString(),
            "CLAIMGATE_PROVISIONING_RECOVERY_INTERVAL_SECONDS": "1",
            "PRISMA_RATE_LIMIT_PER_MINUTE": "100000", "PRISMA_RATE_LIMIT_BURST": "10000",
            "PRISMA_API_URL": emulator.baseURL, "PRISMA_AUTH_URL": emulator.baseURL,
            "PRISMA_SERVICE_TOKEN": emulator.configuration.serviceToken,
            "PRISMA_CLIENT_ID": client.id, "PRISMA_CLIENT_SECRET": client.secret,
        ].merging(extra) { $1 }
    }

    func launch() async throws -> ClaimgateProcess {
        let process = try ClaimgateProcess.launch(["serve"], environment: environment)
        let client = TestClient(port: port)
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if (try? await client.get("/readyz"))?.status == 200 { return process }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("claimgate did not become ready: \(process.printed)")
        return process
    }
}

@Suite("Crash safety", .serialized)
struct CrashRecoveryTests {
    @Test("SIGKILL between the create and its answer: after restart the project is adopted, no duplicate")
    func killedMidCreate() async throws {
        let emulator = PrismaEmulator()
        try emulator.start()
        defer { Task { await emulator.stop() } }
        let setup = ClaimgateUnderTest(
            emulator: emulator, database: TestPaths.temporaryDirectory().appendingPathComponent("crash.sqlite").path,
            port: try freePort())
        // Prisma creates the project at once but its answer takes 30 s: the window to kill in.
        emulator.inject(Fault(route: "POST /v1/projects", afterApply: true, latencyMs: 30_000))
        let first = try await setup.launch()
        let client = TestClient(port: setup.port)
        let headers = ["Authorization": "Bearer \(ClaimgateUnderTest.apiKey)", "Idempotency-Key": "crash-1", "Content-Type": "application/json"]
        let body = Data(#"{"name":"survivor","reference":"crash-test"}"#.utf8)
        let pending = Task { try? await client.send("POST", "/v1/databases", headers: headers, body: body) }
        let deadline = ContinuousClock.now + .seconds(10)
        while emulator.projects.isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(emulator.projects.count == 1)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        #expect(first.process.terminationReason == .uncaughtSignal)
        #expect(await pending.value?.status == nil)  // the partner never got an answer, let alone a 2xx
        emulator.clearFaults()

        let second = try await setup.launch()
        // The recovery pass at start finds the row left provisioning and adopts the project.
        var status: String?
        let recovered = ContinuousClock.now + .seconds(15)
        while status != "ready" && ContinuousClock.now < recovered {
            let list = try await client.get("/v1/databases?reference=crash-test", headers: ["Authorization": headers["Authorization"]!])
            status = ((try? list.json())?["data"] as? [[String: Any]])?.first?["status"] as? String
            if status != "ready" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == "ready")
        #expect(emulator.projects.count == 1)
        #expect(emulator.callCount("GET /v1/projects") >= 1)  // looked up by logicalId
        #expect(emulator.callCount("POST /v1/databases/:id/connections") == 1)  // fresh credentials
        #expect(emulator.callCount("POST /v1/projects") == 1)
        // The partner's retry with the same key gets the full answer, credentials included.
        let retry = try await client.send("POST", "/v1/databases", headers: headers, body: body)
        #expect(retry.status == 201)
        let json = try retry.json()
        #expect(json["projectId"] as? String == emulator.projects.first?.id)
        #expect((json["connectionString"] as? String)?.hasPrefix("postgres://") == true)
        #expect(emulator.callCount("POST /v1/projects") == 1)
        kill(second.process.processIdentifier, SIGTERM)
        let (exit, _) = try await second.finish()
        #expect(exit == 0)
    }
}
