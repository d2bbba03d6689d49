import Claimgate
import Foundation
import TestSupport
import Testing

/// The partner's claim funnel and expiry warnings, as `GET /v1/events` replays them.
@Suite("Funnel events and expiry warnings")
struct FunnelEventsTests {
    @Test("claim_link_opened at most once per link per hour; claim_started when the user sets off to Prisma")
    func funnel() async throws {
        let clock = ManualClock()
        try await withApp(clock: clock) { app in
            let json = try await app.provision(#"{"ttlSeconds":86400}"#).json()
            let id = try #require(json["id"] as? String)
            let claimURL = try #require(json["claimUrl"] as? String)
            func opened() async throws -> Int {
                try await app.events().filter { $0["type"] as? String == "database.claim_link_opened" }.count
            }
            for _ in 0..<3 { #expect(try await app.client.get(Browser.local(claimURL)).status == 200) }
            #expect(try await app.client.send("HEAD", Browser.local(claimURL)).status == 200)
            #expect(try await opened() == 1)
            clock.advance(by: 3599)
            _ = try await app.client.get(Browser.local(claimURL))
            #expect(try await opened() == 1)
            clock.advance(by: 2)
            _ = try await app.client.get(Browser.local(claimURL))
            #expect(try await opened() == 2)
            // A new link is a new link.
            let reissued = try await app.client.send("POST", "/v1/databases/\(id)/claim-url", headers: sandboxKey).json()
            _ = try await app.client.get(Browser.local(try #require(reissued["claimUrl"] as? String)))
            #expect(try await opened() == 3)
            var browser = Browser(app)
            #expect(try await browser.start(try #require(reissued["claimUrl"] as? String)) != nil)
            let events = try await app.events()
            let started = events.filter { $0["type"] as? String == "database.claim_started" }
            #expect(started.count == 1)
            #expect((started.first?["data"] as? [String: Any])?["id"] as? String == id)
            #expect(events.compactMap { $0["type"] as? String } == [
                "database.ready", "database.claim_link_opened", "database.claim_link_opened", "database.claim_link_opened",
                "database.claim_started",
            ])
        }
    }

    @Test("one database.expiring per lead (24h, 1h), none for a window open at creation, again after an extension")
    func multiLead() async throws {
        let clock = ManualClock()
        try await withApp(["CLAIMGATE_LIFECYCLE_EXPIRING_LEADS": "24h,1h"], clock: clock) { app in
            let long = try #require(try await app.provision(#"{"ttlSeconds":172800,"name":"long"}"#).json()["id"] as? String)
            let day = try #require(try await app.provision(#"{"ttlSeconds":86400,"name":"day"}"#).json()["id"] as? String)
            let sweeper = app.application.sweeper
            func warnings(_ id: String) async throws -> [Int] {
                try await app.events().filter {
                    $0["type"] as? String == "database.expiring" && ($0["data"] as? [String: Any])?["id"] as? String == id
                }.compactMap { ($0["data"] as? [String: Any])?["leadSeconds"] as? Int }
            }
            #expect(try await sweeper.runOnce().warned == 0)  // "day" is inside 24h from birth: no warning for it
            clock.advance(by: 86_400 + 60)  // long: 24h window; day: expired
            #expect(try await sweeper.runOnce().warned == 1)
            #expect(try await sweeper.runOnce().warned == 0)
            #expect(try await warnings(long) == [86_400])
            clock.advance(by: 82_800)  // long: 1h window
            #expect(try await sweeper.runOnce().warned == 1)
            #expect(try await sweeper.runOnce().warned == 0)
            #expect(try await warnings(long) == [86_400, 3600])
            #expect(try await warnings(day) == [])
            // Extended by 2 h (not beyond max lifetime): only the 1h warning is due again.
            let extended = try await app.client.send("POST", "/v1/databases/\(long)/extend", headers: sandboxKey, body: Data(#"{"ttlSeconds":7200}"#.utf8))
            #expect(extended.status == 200)
            #expect(try await sweeper.runOnce().warned == 0)
            clock.advance(by: 3660)
            #expect(try await sweeper.runOnce().warned == 1)
            #expect(try await warnings(long) == [86_400, 3600, 3600])
        }
    }

    @Test("a sweeper that missed the larger window sends one warning, for the smaller lead")
    func lateSweep() async throws {
        let clock = ManualClock()
        try await withApp(["CLAIMGATE_LIFECYCLE_EXPIRING_LEADS": "24h,1h"], clock: clock) { app in
            let id = try #require(try await app.provision(#"{"ttlSeconds":172800}"#).json()["id"] as? String)
            clock.advance(by: 172_800 - 1800)
            #expect(try await app.application.sweeper.runOnce().warned == 1)
            #expect(try await app.application.sweeper.runOnce().warned == 0)
            let warned = try await app.events().filter { $0["type"] as? String == "database.expiring" }
            #expect(warned.count == 1)
            #expect((warned.first?["data"] as? [String: Any])?["leadSeconds"] as? Int == 3600)
            #expect((warned.first?["data"] as? [String: Any])?["id"] as? String == id)
        }
    }
}
