import Claimgate
import Foundation
import Secrets
import PrismaEmulator
import TestSupport
import Testing

@Suite("Claim flow through the real server and the emulator")
struct ClaimFlowTests {
    @Test("happy path: claim page → Prisma sign-in → callback → claimed into the user's workspace")
    func happyPath() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let json = try await app.provision(#"{"name":"Ada's DB","region":"eu-west-3","ttlSeconds":7200}"#).json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let page = try await app.client.get(Browser.local(claimURL))
        #expect(page.status == 200)
        #expect(title(page) == "Claim your database")
        #expect(page.text.contains("Ada&#39;s DB") && page.text.contains("eu-west-3") && page.text.contains("1 h 59 min"))
        #expect(page.text.contains(#"<form method="post""#))
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(page.header("Referrer-Policy") == "no-referrer" && page.header("Cache-Control") == "no-store")
        #expect(page.header("X-Frame-Options") == "DENY")

        let authorize = try #require(try await browser.start(claimURL))
        let query = Dictionary(uniqueKeysWithValues: (URLComponents(url: authorize, resolvingAgainstBaseURL: false)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(authorize.absoluteString.hasPrefix(app.emulator.baseURL + "/authorize?"))
        #expect(query["client_id"] == "sandbox-client")
        #expect(query["redirect_uri"] == app.application.settings.publicURL + "/oauth/callback")
        #expect(query["response_type"] == "code" && query["code_challenge_method"] == "S256")
        #expect(query["scope"] == "workspace:admin offline_access")
        #expect(query["state"]?.count == 43 && query["code_challenge"]?.count == 43)
        #expect(browser.cookie?.count == 43)

        let callback = try await browser.consent(authorize)
        let done = try await browser.callback(callback)
        #expect(done.status == 200)
        #expect(title(done) == "Your database is yours")
        let ada = app.emulator.configuration.users[0]
        #expect(done.text.contains("https://console.prisma.io/\(ada.workspaces[0].id)/"))
        #expect(app.emulator.callCount("POST /token") == 1 && app.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
        let id = try #require(json["id"] as? String)
        let record = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()
        #expect(record["status"] as? String == "claimed")
        #expect(record["claimedAt"] as? String != nil)
        #expect(app.emulator.projects.first { $0.id == json["projectId"] as? String }?.workspaceID == "wksp_" + ada.workspaces[0].id)
        // The link now explains itself.
        let after = try await app.client.get(Browser.local(claimURL))
        #expect(after.status == 409 && title(after) == "This database was already claimed")
        await app.stop()
    }

    @Test("every rejected callback makes zero token and transfer calls", arguments: [
        "unknown-state", "short-state", "duplicate-state", "no-cookie", "other-cookie", "missing-code", "reuse", "expired", "wrong-issuer",
    ])
    func rejectedCallbacks(_ defect: String) async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        var browser = Browser(app)
        let (_, callback, id) = try await browser.upToCallback()
        var url = callback
        var cookie: String?
        let state = URLComponents(string: callback)!.queryItems!.first { $0.name == "state" }!.value!
        switch defect {
        case "unknown-state": url = callback.replacingOccurrences(of: state, with: SecureRandom.token())
        case "short-state": url = callback.replacingOccurrences(of: state, with: String(state.prefix(42)))
        case "duplicate-state": url = callback + "&state=" + state
        case "no-cookie": browser.cookie = nil
        case "other-cookie": cookie = SecureRandom.token()
        case "missing-code": url = callback.replacingOccurrences(of: "code=", with: "nocode=")
        case "reuse":
            // The first use succeeds; everything after it is refused.
            #expect(try await browser.callback(url).status == 200)
        case "expired": clock.advance(by: 11 * 60)
        default: url = callback + "&iss=https%3A%2F%2Fevil.example"
        }
        let before = app.upstreamClaimCalls
        let reply = try await browser.callback(url, cookie: cookie)
        #expect(reply.status == 400)
        #expect(title(reply) == "We could not verify this sign-in")
        #expect(app.upstreamClaimCalls == before)
        if defect != "reuse" {
            #expect(before == 0)
            #expect(try await app.status(id) == "ready")
        }
        await app.stop()
    }

    @Test("access_denied: a friendly page with a way to try again; nothing changes")
    func denied() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let json = try await app.provision().json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let authorize = try #require(try await browser.start(claimURL))
        let callback = try await browser.consent(authorize, decision: "deny")
        #expect(callback.contains("error=access_denied"))
        let reply = try await browser.callback(callback)
        #expect(reply.status == 200 && title(reply) == "Claim not authorized")
        // No claim token in any page but the claim page's own URL: the page says to reopen the link.
        #expect(!reply.text.contains(claimURL.split(separator: "/").last.map(String.init) ?? "-"))
        #expect(reply.text.contains("open your claim link again"))
        #expect(app.upstreamClaimCalls == 0)
        // Trying again works.
        let again = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(again)).status == 200)
        await app.stop()
    }

    @Test("claim links: tampered, expired, replaced and claimed each get their own page")
    func linkStates() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let tampered = try await app.client.get("/claim/" + SecureRandom.token())
        #expect(tampered.status == 404 && title(tampered) == "This claim link is not valid")
        let garbage = try await app.client.get("/claim/not-even-a-token")
        #expect(garbage.status == 404)
        // Re-issue revokes the old link.
        let json = try await app.provision(#"{"ttlSeconds":600}"#).json()
        let id = try #require(json["id"] as? String)
        let old = try #require(json["claimUrl"] as? String)
        let reissued = try await app.client.send("POST", "/v1/databases/\(id)/claim-url", headers: sandboxKey)
        #expect(reissued.status == 201)
        let fresh = try #require(try reissued.json()["claimUrl"] as? String)
        #expect(fresh != old)
        let replaced = try await app.client.get(Browser.local(old))
        #expect(replaced.status == 410 && title(replaced) == "This claim link was replaced")
        #expect(try await app.client.get(Browser.local(fresh)).status == 200)
        var browser = Browser(app)
        #expect(try await browser.start(old) == nil)
        // Expired.
        clock.advance(by: 601)
        let expired = try await app.client.get(Browser.local(fresh))
        #expect(expired.status == 410 && title(expired) == "This database has expired")
        #expect(try await app.client.send("POST", "/v1/databases/cgdb_nothing/claim-url", headers: sandboxKey).status == 404)
        await app.stop()
    }

    @Test("a deleted database's link says so, and its claim-url cannot be re-issued")
    func deletedLink() async throws {
        let app = try await RunningApp.start()
        let json = try await app.provision().json()
        let id = try #require(json["id"] as? String)
        #expect(try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey).status == 200)
        let page = try await app.client.get(Browser.local(try #require(json["claimUrl"] as? String)))
        #expect(page.status == 410 && title(page) == "This database was deleted")
        #expect(try await app.client.send("POST", "/v1/databases/\(id)/claim-url", headers: sandboxKey).status == 409)
        await app.stop()
    }

    @Test("the authorize redirect ignores Host and X-Forwarded-Host: redirect_uri is the configured one")
    func fixedRedirectURI() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let claimURL = try #require(try await app.provision().json()["claimUrl"] as? String)
        let authorize = try #require(try await browser.start(claimURL, headers: ["X-Forwarded-Host": "evil.example"]))
        let redirect = URLComponents(url: authorize, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "redirect_uri" }?.value
        #expect(redirect == app.application.settings.publicURL + "/oauth/callback")
        await app.stop()
    }
}

@Suite("Credentials after the claim")
struct CredentialsOnClaimTests {
    func claimed(_ app: RunningApp, body: String) async throws -> (connection: String, event: [String: Any]?) {
        let json = try await app.provision(body).json()
        let connection = try #require(json["connectionString"] as? String)
        let claimURL = try #require(json["claimUrl"] as? String)
        var browser = Browser(app)
        let authorize = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(authorize)).status == 200)
        let events = try await app.client.get("/v1/events", headers: sandboxKey).json()["data"] as? [[String: Any]] ?? []
        let event = events.last { $0["type"] as? String == "database.claimed" && ($0["data"] as? [String: Any])?["id"] as? String == json["id"] as? String }
        return (connection, event?["data"] as? [String: Any])
    }

    @Test("keep (the default) leaves the partner's password working; onClaim rotate makes it stop; revoke deletes it")
    func policies() async throws {
        try await withApp { app in
            let kept = try await claimed(app, body: "{}")
            #expect(app.emulator.acceptsConnectionString(kept.connection))
            #expect(kept.event?["credentials"] as? String == "kept")
            let rotated = try await claimed(app, body: #"{"onClaim":"rotate"}"#)
            #expect(!app.emulator.acceptsConnectionString(rotated.connection))
            #expect(rotated.event?["credentials"] as? String == "rotated")
            let revoked = try await claimed(app, body: #"{"onClaim":"revoke"}"#)
            #expect(!app.emulator.acceptsConnectionString(revoked.connection))
            #expect(revoked.event?["credentials"] as? String == "revoked")
            #expect(try await app.provision(#"{"onClaim":"burn"}"#).status == 400)
        }
    }

    @Test("CLAIMGATE_CLAIMS_CREDENTIALS=rotate is the default for every database")
    func serviceDefault() async throws {
        try await withApp(["CLAIMGATE_CLAIMS_CREDENTIALS": "rotate"]) { app in
            let rotated = try await claimed(app, body: "{}")
            #expect(!app.emulator.acceptsConnectionString(rotated.connection))
            #expect(rotated.event?["credentials"] as? String == "rotated")
        }
    }
}
