import Claimgate
import Foundation
import PrismaEmulator
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Claims that cannot end half-done: the transfer is marked before it is sent, and a mark left
/// behind is settled by asking Prisma who owns the project.
@Suite("Transfer reconciliation", .serialized)
struct TransferReconcilerTests {
    @Test("the record fails after Prisma moved the project: 503 page, then the reconciler records the claim")
    func recordFailsAfterTransfer() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        var browser = Browser(app)
        let (_, callback, id) = try await browser.upToCallback()
        // The transfer happens at once; its answer takes 1.5 s: the window in which storage breaks.
        app.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", afterApply: true, latencyMs: 1500))
        let pending = Task { [browser] in try await browser.callback(callback) }
        try await eventually("the transfer reached Prisma") { app.emulator.callCount("POST /v1/projects/:id/transfer") == 1 }
        await app.application.database.injectFaults(1_000_000, code: 13)
        let reply = try await pending.value
        await app.application.database.clearFaults()
        #expect(reply.status == 503)
        let project = try #require(app.emulator.projects.first { $0.logicalId != nil })
        #expect(project.workspaceID != "wksp_" + app.emulator.configuration.partnerWorkspace.id)  // it moved
        #expect(try await app.status(id) == "ready")  // …but that was not recorded

        // Expiry must never act on it meanwhile: the transfer mark keeps the sweeper away.
        clock.advance(by: 90_000)
        #expect(try await app.application.sweeper.runOnce().expired == 0)
        #expect(app.emulator.callCount("DELETE /v1/projects/:id") == 0)

        let report = try await app.application.reconciler.runOnce(everything: true)
        #expect(report == TransferReconciler.Report(claimed: 1, released: 0, pending: 0))
        #expect(try await app.status(id) == "claimed")
        let events = try await app.client.get("/v1/events", headers: sandboxKey).json()["data"] as? [[String: Any]] ?? []
        let claimed = events.filter { $0["type"] as? String == "database.claimed" }
        #expect(claimed.count == 1)
        #expect((claimed.first?["data"] as? [String: Any])?["reconciled"] as? Bool == true)
        // Settled for good: another pass finds nothing.
        #expect(try await app.application.reconciler.runOnce(everything: true) == TransferReconciler.Report())
        await app.stop()
    }

    @Test("an unconfirmed transfer that did not happen is released: the link works again")
    func unconfirmedReleased() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (claimURL, callback, id) = try await browser.upToCallback()
        // Three 503s without applying: ambiguous to the client, but nothing moved.
        app.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", status: 503, times: 3))
        let reply = try await browser.callback(callback)
        #expect(reply.status == 202 && title(reply) == "Your claim is being confirmed")
        #expect(app.emulator.projects.first?.workspaceID == "wksp_" + app.emulator.configuration.partnerWorkspace.id)
        // While unsettled, no second claim can start a transfer of its own.
        let second = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(second)).status == 409)
        let report = try await app.application.reconciler.runOnce(everything: true)
        #expect(report.released == 1 && report.claimed == 0)
        #expect(try await app.status(id) == "ready")
        let again = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(again)).status == 200)
        #expect(try await app.status(id) == "claimed")
        await app.stop()
    }

    @Test("SIGKILL between the transfer and its record: after restart the claim is recorded, once")
    func killedMidTransfer() async throws {
        let emulator = PrismaEmulator()
        try emulator.start()
        defer { Task { await emulator.stop() } }
        let setup = ClaimgateUnderTest(
            emulator: emulator, database: TestPaths.temporaryDirectory().appendingPathComponent("kill-claim.sqlite").path,
            port: try freePort())
        let first = try await setup.launch()
        let client = TestClient(port: setup.port)
        let key = ["Authorization": "Bearer \(ClaimgateUnderTest.apiKey)"]
        let created = try await client.send("POST", "/v1/databases", headers: key.merging(["Content-Type": "application/json"]) { $1 },
                                            body: Data(#"{"name":"kill-me"}"#.utf8)).json()
        let id = try #require(created["id"] as? String)
        let claimURL = try #require(created["claimUrl"] as? String)
        let claimPath = Browser.local(claimURL)
        // The claim, as a browser: start, consent at the emulator, and the callback in flight.
        let started = try await client.send("POST", claimPath)
        let cookie = try #require(started.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let location = try #require(started.header("Location"))
        let authorize = try #require(URL(string: location))
        let person = emulator.configuration.users[0]
        let callback = Browser.local(try await Browser.consent(at: emulator, authorize))
        emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", afterApply: true, latencyMs: 30_000))
        let pending = Task { try? await client.send("GET", callback, headers: ["Cookie": cookie]) }
        try await eventually("the transfer reached Prisma") { emulator.callCount("POST /v1/projects/:id/transfer") == 1 }
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        #expect(await pending.value?.status == nil)
        emulator.clearFaults()
        #expect(emulator.projects.first?.workspaceID == "wksp_" + person.workspaces[0].id)

        let second = try await setup.launch()
        // The reconciler's first pass at start settles every mark left by the dead process.
        var status: String?
        try await eventually("the claim is recorded after restart") {
            status = try await client.get("/v1/databases/\(id)", headers: key).json()["status"] as? String
            return status == "claimed"
        }
        #expect(status == "claimed")
        #expect(emulator.callCount("POST /v1/projects/:id/transfer") == 1)  // never sent twice
        kill(second.process.processIdentifier, SIGTERM)
        let (exit, _) = try await second.finish()
        #expect(exit == 0)
    }
}
