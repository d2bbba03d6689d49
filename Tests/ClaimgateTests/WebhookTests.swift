import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Signed webhooks to the partner")
struct WebhookTests {
    /// Without the background passes: these tests drive every delivery pass with `runOnce()`, and
    /// the pass `serve` runs at start raced them (it once delivered the ready event before a test
    /// had told the receiver to fail).
    func start(_ receiver: WebhookReceiver, clock: ManualClock) async throws -> RunningApp {
        try await RunningApp.start([
            "CLAIMGATE_WEBHOOK_URL": receiver.url, "CLAIMGATE_WEBHOOK_SIGNING_SECRET": WebhookReceiver.secret,
            "CLAIMGATE_LIFECYCLE_WEBHOOK_INTERVAL_SECONDS": "3600",
        ], clock: clock, background: false)
    }

    @Test("events are signed (verified independently), carry no secrets, and arrive in order per database")
    func signedAndOrdered() async throws {
        let receiver = try WebhookReceiver()
        let clock = ManualClock()
        let app = try await start(receiver, clock: clock)
        let dispatcher = try #require(app.application.dispatcher)
        let created = try await app.provision(#"{"reference":"user-7"}"#).json()
        let id = try #require(created["id"] as? String)
        #expect(try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey).status == 200)
        var browser = Browser(app)
        let (_, callback, claimedID) = try await browser.upToCallback()
        #expect(try await browser.callback(callback).status == 200)
        while try await dispatcher.runOnce() > 0 {}
        let delivered = receiver.delivered
        #expect(delivered.count == 5)
        func types(of database: String) -> [String] {
            delivered.filter { ($0.json["data"] as? [String: Any])?["id"] as? String == database }.map(\.type)
        }
        #expect(types(of: id) == ["database.ready", "database.deleted"])
        #expect(types(of: claimedID) == ["database.ready", "database.claim_started", "database.claimed"])
        for delivery in delivered {
            #expect(WebhookReceiver.verify(delivery))
            #expect(!WebhookReceiver.verify(delivery, secret: "whsec_" + Data(repeating: 1, count: 32).base64EncodedString()))
            #expect(delivery.headers["webhook-id"] == delivery.json["id"] as? String)
            #expect((delivery.json["id"] as? String)?.hasPrefix("evt_") == true)
            let text = String(decoding: delivery.body, as: UTF8.self)
            #expect(!text.contains("postgres://") && !text.contains("/claim/"))
        }
        let ready = delivered.first { ($0.json["data"] as? [String: Any])?["id"] as? String == id }?.json["data"] as? [String: Any]
        #expect(ready?["reference"] as? String == "user-7" && ready?["status"] as? String == "ready")
        let claimed = delivered.first { $0.type == "database.claimed" }?.json["data"] as? [String: Any]
        #expect(claimed?["id"] as? String == claimedID && claimed?["status"] as? String == "claimed")
        #expect(Set(delivered.map(\.id)).count == 5)
        await app.stop()
        await receiver.server.stop()
    }

    @Test("a receiver answering 500 gets the event again after backoff; later events wait their turn")
    func retriedAfterFailures() async throws {
        let receiver = try WebhookReceiver()
        let clock = ManualClock()
        let app = try await start(receiver, clock: clock)
        let dispatcher = try #require(app.application.dispatcher)
        let id = try #require(try await app.provision().json()["id"] as? String)
        _ = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
        receiver.fail(next: 2)
        #expect(try await dispatcher.runOnce() == 0)
        #expect(receiver.deliveries.count == 1)  // only the oldest event of the database was tried
        #expect(try await dispatcher.runOnce() == 0)  // not due yet
        clock.advance(by: 6)
        #expect(try await dispatcher.runOnce() == 0)
        clock.advance(by: 11)
        #expect(try await dispatcher.runOnce() == 1)
        #expect(try await dispatcher.runOnce() == 1)
        #expect(receiver.deliveries.map(\.status) == [500, 500, 200, 200])
        #expect(receiver.delivered.map(\.type) == ["database.ready", "database.deleted"])
        #expect(Set(receiver.deliveries.prefix(3).map(\.id)).count == 1)  // the same event id each time
        await app.stop()
        await receiver.server.stop()
    }

    @Test("GET /v1/events replays the outbox after a given event")
    func replay() async throws {
        let app = try await RunningApp.start()
        for _ in 0..<3 { _ = try await app.provision() }
        let all = try await app.events()
        #expect(all.count == 3 && all.allSatisfy { $0["type"] as? String == "database.ready" })
        let firstID = try #require(all[0]["id"] as? String)
        let rest = try await app.client.get("/v1/events?after=\(firstID)&limit=1", headers: sandboxKey).json()
        #expect((rest["data"] as? [[String: Any]])?.first?["id"] as? String == all[1]["id"] as? String)
        #expect(rest["hasMore"] as? Bool == true)
        #expect(rest["nextAfter"] as? String == all[1]["id"] as? String)
        #expect(try await app.client.get("/v1/events?after=evt_unknown", headers: sandboxKey).status == 400)
        #expect(try await app.client.get("/v1/events").status == 401)
        await app.stop()
    }

    @Test("SIGKILL between the state change and the delivery: the event is delivered after the restart")
    func survivesKill() async throws {
        let emulator = PrismaEmulator()
        try emulator.start()
        defer { Task { await emulator.stop() } }
        let receiver = try WebhookReceiver()
        receiver.stall(for: .seconds(30))  // the first delivery hangs: kill while it is in flight
        var setup = ClaimgateUnderTest(
            emulator: emulator, database: TestPaths.temporaryDirectory().appendingPathComponent("hooks.sqlite").path,
            port: try freePort())
        setup.extra = [
            "CLAIMGATE_WEBHOOK_URL": receiver.url, "CLAIMGATE_WEBHOOK_SIGNING_SECRET": WebhookReceiver.secret,
            "CLAIMGATE_LIFECYCLE_WEBHOOK_INTERVAL_SECONDS": "1",
        ]
        let first = try await setup.launch()
        let client = TestClient(port: setup.port)
        let auth = ["Authorization": "Bearer \(ClaimgateUnderTest.apiKey)"]
        let created = try await client.send("POST", "/v1/databases", headers: auth, body: Data("{}".utf8))
        #expect(created.status == 201)
        // Wait until the delivery is under way (the receiver is holding it), then kill.
        let deadline = ContinuousClock.now + .seconds(10)
        while receiver.core.started.withLock({ $0 }) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(receiver.core.started.withLock { $0 } == 1)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        receiver.stall(for: nil)
        #expect(receiver.delivered.isEmpty)

        let second = try await setup.launch()
        let delivered = ContinuousClock.now + .seconds(15)
        while receiver.delivered.isEmpty && ContinuousClock.now < delivered { try await Task.sleep(for: .milliseconds(100)) }
        let event = try #require(receiver.delivered.first)
        #expect(event.type == "database.ready")
        #expect(WebhookReceiver.verify(event))
        #expect((event.json["data"] as? [String: Any])?["id"] as? String == (try created.json()["id"] as? String))
        kill(second.process.processIdentifier, SIGTERM)
        _ = try await second.finish()
        await receiver.server.stop()
    }
}
