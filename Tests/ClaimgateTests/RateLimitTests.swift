import Claimgate
import Foundation
import TestSupport
import Testing

@Suite("Claim rate limiting")
struct RateLimitTests {
    @Test("token bucket: the burst, then one more per refill interval, per client")
    func bucket() {
        let clock = ManualClock()
        let limiter = RateLimiter(perMinute: 3, clock: clock)
        #expect((0..<3).allSatisfy { _ in limiter.acquire("a") == nil })
        #expect(limiter.acquire("a") == 20)
        #expect(limiter.acquire("b") == nil)  // another client has its own bucket
        clock.advance(by: 20)
        #expect(limiter.acquire("a") == nil)
        #expect(limiter.acquire("a") != nil)
        #expect(RateLimiter(perMinute: 0, clock: clock).acquire("a") == nil)  // 0 disables
    }

    @Test("claim pages and callbacks past the limit get 429 with Retry-After")
    func throughServer() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_CLAIMS_RATE_LIMIT_PER_MINUTE": "4"])
        let claimURL = try #require(try await app.provision().json()["claimUrl"] as? String)
        for _ in 0..<4 { #expect(try await app.client.get(Browser.local(claimURL)).status == 200) }
        let limited = try await app.client.get(Browser.local(claimURL))
        #expect(limited.status == 429)
        #expect(title(limited) == "Too many attempts")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try await app.client.get("/oauth/callback?state=x").status == 429)
        // The partner API is not affected.
        #expect(try await app.client.get("/v1/regions", headers: sandboxKey).status == 200)
        await app.stop()
    }
}
