import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

@Suite("Expiry and auto-delete (controllable clock)")
struct ExpiryTests {
    @Test("expiry deletes exactly the unclaimed databases; the claimed one is never touched")
    func deletesOnlyUnclaimed() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let a = try await app.provision(#"{"ttlSeconds":3600}"#).json()
        let c = try await app.provision(#"{"ttlSeconds":3600}"#).json()
        let later = try await app.provision(#"{"ttlSeconds":7200}"#).json()
        var browser = Browser(app)
        let (_, callback, claimedID) = try await browser.upToCallback()
        #expect(try await browser.callback(callback).status == 200)
        clock.advance(by: 3601)
        // Before the sweep the links already say the database is gone.
        #expect(try await app.client.get(Browser.local(a["claimUrl"] as! String)).status == 410)
        let report = try await app.application.sweeper.runOnce()
        #expect(report.expired == 2 && report.retrying == 0)
        for json in [a, c] {
            #expect(try await app.status(json["id"] as! String) == "expired")
            #expect(!app.emulator.projects.contains { $0.id == json["projectId"] as? String })
        }
        #expect(try await app.status(later["id"] as! String) == "ready")
        #expect(try await app.status(claimedID) == "claimed")
        #expect(app.emulator.projects.count == 2)  // the claimed one (now the user's) and the later one
        let page = try await app.client.get(Browser.local(a["claimUrl"] as! String))
        #expect(page.status == 410 && title(page) == "This database has expired")
        #expect(try await app.application.sweeper.runOnce().expired == 0)
        let types = try await app.events().compactMap { $0["type"] as? String }
        #expect(types.filter { $0 == "database.expired" }.count == 2)
        await app.stop()
    }

    @Test("a delete that fails with 5xx is retried with backoff until Prisma confirms")
    func deleteRetried() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let json = try await app.provision(#"{"ttlSeconds":60}"#).json()
        let id = try #require(json["id"] as? String)
        app.emulator.inject(Fault(route: "DELETE /v1/projects/:id", status: 500, times: 100))
        clock.advance(by: 61)
        #expect(try await app.application.sweeper.runOnce().retrying == 1)
        #expect(try await app.status(id) == "ready")
        let calls = app.emulator.callCount("DELETE /v1/projects/:id")
        #expect(try await app.application.sweeper.runOnce().retrying == 0)  // not due again yet
        #expect(app.emulator.callCount("DELETE /v1/projects/:id") == calls)
        app.emulator.clearFaults()
        clock.advance(by: 30)
        #expect(try await app.application.sweeper.runOnce().expired == 1)
        #expect(try await app.status(id) == "expired")
        #expect(app.emulator.projects.isEmpty)
        await app.stop()
    }

    @Test("a restart in the middle of a sweep: the rest is deleted after the restart, 404 counts as gone")
    func restartMidSweep() async throws {
        let emulator = PrismaEmulator()
        try emulator.start()
        defer { Task { await emulator.stop() } }
        let clock = ManualClock()
        let database = TestPaths.temporaryDirectory().appendingPathComponent("sweep.sqlite").path
        var environment = externalPrisma(emulator)
        environment["CLAIMGATE_DATABASE_PATH"] = database
        let first = try await RunningApp.start(environment, clock: clock)
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try await first.provision(#"{"ttlSeconds":60}"#).json()["id"] as! String) }
        clock.advance(by: 61)
        // One delete fails for good in this run; one project vanished upstream on its own.
        let gone = try #require(emulator.projects.last?.id)
        _ = try await emulator.http(delete: gone)
        emulator.inject(Fault(route: "DELETE /v1/projects/:id", status: 503, times: 4))
        let report = try await first.application.sweeper.runOnce()
        #expect(report.expired == 2 && report.retrying == 1)
        await first.stop()

        clock.advance(by: 60)
        // The sweeper also runs at start; either that pass or this one finishes the job.
        let second = try await RunningApp.start(environment, clock: clock)
        _ = try await second.application.sweeper.runOnce()
        for id in ids { #expect(try await second.status(id) == "expired") }
        #expect(emulator.projects.isEmpty)
        await second.stop()
    }

    @Test("extend moves expiresAt within the maximum; not for claimed, expired or unknown databases")
    func extend() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(["CLAIMGATE_PROVISIONING_MAX_TTL_SECONDS": "86400"], clock: clock)
        let json = try await app.provision(#"{"ttlSeconds":600}"#).json()
        let id = try #require(json["id"] as? String)
        func extend(_ body: String, _ target: String? = nil) async throws -> TestClient.Reply {
            try await app.client.send("POST", "/v1/databases/\(target ?? id)/extend", headers: sandboxKey, body: Data(body.utf8))
        }
        clock.advance(by: 300)
        let moved = try await extend(#"{"ttlSeconds":7200}"#)
        #expect(moved.status == 200)
        let expires = ISO8601DateFormatter.withMilliseconds.date(from: try moved.json()["expiresAt"] as! String)!
        #expect(abs(expires.timeIntervalSince(clock.now()) - 7200) < 1)
        // The link follows the new expiry.
        clock.advance(by: 900)
        #expect(try await app.client.get(Browser.local(json["claimUrl"] as! String)).status == 200)
        let tooLong = try await extend(#"{"ttlSeconds":90000}"#)
        #expect(tooLong.status == 400)
        #expect(try tooLong.json()["field"] as? String == "ttlSeconds")
        #expect(try await extend(#"{"ttlSeconds":"x"}"#).status == 400)
        #expect(try await extend(#"{"ttlSeconds":600}"#, "cgdb_nothing").status == 404)
        clock.advance(by: 7200)
        #expect(try await extend(#"{"ttlSeconds":600}"#).status == 409)
        await app.stop()
    }

    @Test("database.expiring is sent once when the warning window opens, again after an extension")
    func expiringWarning() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(["CLAIMGATE_LIFECYCLE_EXPIRING_LEADS": "1h"], clock: clock)
        let id = try #require(try await app.provision(#"{"ttlSeconds":7200}"#).json()["id"] as? String)
        #expect(try await app.application.sweeper.runOnce().warned == 0)
        clock.advance(by: 3700)
        #expect(try await app.application.sweeper.runOnce().warned == 1)
        #expect(try await app.application.sweeper.runOnce().warned == 0)
        _ = try await app.client.send("POST", "/v1/databases/\(id)/extend", headers: sandboxKey, body: Data(#"{"ttlSeconds":7200}"#.utf8))
        clock.advance(by: 3700)
        #expect(try await app.application.sweeper.runOnce().warned == 1)
        let types = try await app.events().compactMap { $0["type"] as? String }
        #expect(types == ["database.ready", "database.expiring", "database.expiring"])
        await app.stop()
    }
}

extension PrismaEmulator {
    /// Deletes a project behind Claimgate's back (as the partner might in the Console).
    func http(delete project: String) async throws -> Int {
        try await TestClient(baseURL: baseURL).send(
            "DELETE", "/v1/projects/\(project)", headers: ["Authorization": "Bearer \(configuration.serviceToken)"]).status
    }
}

extension ExpiryTests {
    @Test("Prisma refuses a delete for good (400): the partner gets 409 delete-blocked; the sweeper records it once and stops")
    func deleteBlocked() async throws {
        let clock = ManualClock()
        try await withApp(clock: clock) { app in
            let json = try await app.provision(#"{"ttlSeconds":3600,"name":"stuck"}"#).json()
            let id = try #require(json["id"] as? String)
            let project = try #require(json["projectId"] as? String)
            try app.emulator.updateBehaviour { $0.undeletableProjects = [project] }
            let reply = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
            #expect(reply.status == 409)
            #expect(try reply.json()["code"] as? String == "delete-blocked")
            #expect(try await app.status(id) == "ready")  // nothing changed
            clock.advance(by: 3601)
            let first = try await app.application.sweeper.runOnce()
            #expect(first.blocked == 1 && first.expired == 0 && first.retrying == 0)
            let deletes = app.emulator.callCount("DELETE /v1/projects/:id")
            clock.advance(by: 86_400)
            #expect(try await app.application.sweeper.runOnce() == ExpirySweeper.Report())  // not retried
            #expect(app.emulator.callCount("DELETE /v1/projects/:id") == deletes)
            let events = try await app.client.get("/v1/events", headers: sandboxKey).json()["data"] as? [[String: Any]] ?? []
            #expect(events.filter { $0["type"] as? String == "database.delete_failed" }.count == 1)
        }
    }
}
