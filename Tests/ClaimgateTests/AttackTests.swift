import Claimgate
import Foundation
import PrismaEmulator
import Secrets
import TestSupport
import Testing

/// Reproductions of the holes an outside attack found (issue 10), each failing before its fix.
@Suite("Attack reproductions")
struct AttackTests {
    @Test("a captured signed call replayed to other routes opens nothing: signed calls are for POST /v1/databases only")
    func signedCallReplay() async throws {
        try await withApp(["CLAIMGATE_WEBHOOK_SECRET": IdempotencyTests.secret]) { app in
            let now = Int(Date().timeIntervalSince1970)
            let created = try await app.provision().json()
            let id = try #require(created["id"] as? String)
            // A signed empty body (or any captured one) is a valid signature for id.timestamp.body.
            let headers = IdempotencyTests().signed("", id: "msg_captured", timestamp: now)
            for (method, path) in [("POST", "/v1/databases/\(id)/claim-url"), ("DELETE", "/v1/databases/\(id)"),
                                   ("GET", "/v1/databases/\(id)"), ("POST", "/v1/accounts/acct_x/access-token")] {
                let reply = try await app.client.send(method, path, headers: headers)
                #expect(reply.status == 401, "\(method) \(path)")
            }
            #expect(try await app.status(id) == "ready")
            // The claim link was not replaced.
            let claimURL = try #require(created["claimUrl"] as? String)
            #expect(try await app.client.get(Browser.local(claimURL)).status == 200)
        }
    }

    @Test("a link re-issued while the user signs in ends that sign-in: 410 page, nothing sent to Prisma")
    func revokedMidSignIn() async throws {
        try await withApp { app in
            var browser = Browser(app)
            let (claimURL, callback, id) = try await browser.upToCallback()
            let reissued = try await app.client.send("POST", "/v1/databases/\(id)/claim-url", headers: sandboxKey)
            #expect(reissued.status == 201)
            #expect(try await app.client.get(Browser.local(claimURL)).status == 410)
            let reply = try await browser.callback(callback)
            #expect(reply.status == 410 && title(reply) == "This claim link was replaced")
            #expect(app.upstreamClaimCalls == 0)
            #expect(try await app.status(id) == "ready")
        }
    }

    @Test("NUL and lengths: refused with 400 as the schema counts them, never cut or turned into 503")
    func bytesAreBytes() async throws {
        try await withApp { app in
            let nul = try await app.provision(#"{"reference":"tenant-victim\u0000-attacker"}"#)
            #expect(nul.status == 400)
            #expect(try nul.json()["field"] as? String == "reference")
            let marks = "a" + String(repeating: "\u{301}", count: 60_000)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["name": marks]), as: UTF8.self)
            let combining = try await app.provision(body)
            #expect(combining.status == 400)
            #expect(try combining.json()["field"] as? String == "name")
        }
    }

    @Test("cross-site POSTs cannot start a claim; same-origin and header-less ones can")
    func crossSiteClaim() async throws {
        try await withApp { app in
            let claimURL = try #require(try await app.provision().json()["claimUrl"] as? String)
            let path = Browser.local(claimURL)
            let crossSite = try await app.client.send("POST", path, headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == 403 && crossSite.header("Set-Cookie") == nil)
            let foreign = try await app.client.send("POST", path, headers: ["Origin": "https://evil.example"])
            #expect(foreign.status == 403)
            let publicURL = app.application.settings.publicURL
            let sameOrigin = try await app.client.send("POST", path, headers: ["Origin": publicURL, "Sec-Fetch-Site": "same-origin"])
            #expect(sameOrigin.status == 303)
            #expect(try await app.client.send("POST", path).status == 303)
        }
    }

    @Test("the claim lock binds the partner: DELETE during a claim is 409 claim-in-progress, after it already-claimed")
    func deleteDuringClaim() async throws {
        try await withApp { app in
            var browser = Browser(app)
            let (_, callback, id) = try await browser.upToCallback()
            app.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", afterApply: true, latencyMs: 1500))
            let pending = Task { [browser] in try await browser.callback(callback) }
            try await eventually("the transfer reached Prisma") { app.emulator.callCount("POST /v1/projects/:id/transfer") == 1 }
            let during = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
            #expect(during.status == 409)
            #expect(try during.json()["code"] as? String == "claim-in-progress")
            #expect(try await pending.value.status == 200)
            let after = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
            #expect(try after.json()["code"] as? String == "already-claimed")
            #expect(try await app.status(id) == "claimed")
            #expect(app.emulator.callCount("DELETE /v1/projects/:id") == 0)
        }
    }

    @Test("data files are private: directory 0700, database 0600", .enabled(if: !TestPostgres.isSelected, "SQLite files only"))
    func filePermissions() async throws {
        let fresh = TestPaths.temporaryDirectory().appendingPathComponent("private/claimgate.sqlite").path
        try await withApp(["CLAIMGATE_DATABASE_PATH": fresh]) { app in
            let path = app.application.settings.database.path
            let file = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            let directory = try FileManager.default.attributesOfItem(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)[.posixPermissions] as? Int
            #expect(file == 0o600)
            #expect(directory == 0o700)
        }
    }
}

extension AttackTests {
    @Test("the claim token never reaches the log, under any spelling that routes to a claim page or nowhere")
    func tokenNeverLogged() async throws {
        try await withApp { app in
            let claimURL = try #require(try await app.provision().json()["claimUrl"] as? String)
            let token = String(claimURL.split(separator: "/").last ?? "")
            #expect(SecureRandom.isToken(token))
            let port = app.application.server.port
            var served = 0
            for target in ["/claim/\(token)", "//claim/\(token)", "/%2Fclaim/\(token)", "/%2fclaim/\(token)", "/claim//\(token)",
                           "/claim/\(token)/", "/claim/\(token)?utm=1", "/claim/\(token)/extra", "/claim/\(token).html",
                           "/x/\(token)", "/v1/databases/\(token)"] {
                let reply = try await RawHTTP.exchange(port: port, "GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if reply.statuses == [200] { served += 1 }
                #expect(!reply.statuses.isEmpty, "\(target)")
            }
            #expect(served >= 5)  // the spellings that reach the claim page did reach it
            let lines = app.logs.lines
            #expect(lines.contains { $0.contains("/claim/:token") })  // the access lines are there
            #expect(!lines.contains { $0.contains(token) })
            #expect(!lines.contains { $0.contains(String(token.prefix(32))) })
        }
    }
}

extension AttackTests {
    @Test("nested-JSON bombs are refused at once with 400, and nothing else waits behind them")
    func jsonBombs() async throws {
        try await withApp { app in
            let level = "{" + (0..<15).map { "\"k\($0)\":0," }.joined() + "\"n\":"
            let bomb = String(repeating: level, count: 500) + "0" + String(repeating: "}", count: 500)
            #expect(bomb.utf8.count > 40_000)
            let started = ContinuousClock.now
            async let first = app.provision(bomb)
            async let second = app.client.send("POST", "/v1/databases/cgdb_x/extend", headers: sandboxKey, body: Data(bomb.utf8))
            async let ready = app.client.get("/readyz")
            let (a, b, r) = try await (first, second, ready)
            #expect(a.status == 400)
            #expect(try a.json()["code"] as? String == "invalid-json")
            #expect(b.status == 400)
            #expect(r.status == 200)
            #expect(ContinuousClock.now - started < .seconds(5))  // was 15–30 s before the depth limit
        }
    }

    @Test("an API key with a NUL and junk after it does not authenticate")
    func keyWithHiddenBytes() async throws {
        try await withApp { app in
            let port = app.application.server.port
            let head = "GET /v1/databases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Application.sandboxAPIKey)\u{0}junk\r\nConnection: close\r\n\r\n"
            let reply = try await RawHTTP.exchange(port: port, head)
            #expect(reply.statuses == [400])
            let plain = try await RawHTTP.exchange(port: port, "GET /v1/databases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Application.sandboxAPIKey)\r\nConnection: close\r\n\r\n")
            #expect(plain.statuses == [200])
        }
    }
}

extension AttackTests {
    @Test("with CLAIMGATE_METRICS_TOKEN, /metrics needs it; health probes stay open")
    func metricsToken() async throws {
        let token = "metrics-token-0123456789"
        try await withApp(["CLAIMGATE_METRICS_TOKEN": token]) { app in
            let anonymous = try await app.client.get("/metrics")
            #expect(anonymous.status == 401 && anonymous.header("WWW-Authenticate") == "Bearer")
            #expect(try await app.client.get("/metrics", headers: ["Authorization": "Bearer wrong-token-0123456789"]).status == 401)
            let scraped = try await app.client.get("/metrics", headers: ["Authorization": "Bearer \(token)"])
            #expect(scraped.status == 200 && scraped.text.contains("claimgate_http_requests_total"))
            #expect(try await app.client.get("/healthz").status == 200)
            #expect(try await app.client.get("/readyz").status == 200)
            #expect(!app.logs.lines.contains { $0.contains(token) })
        }
    }
}
