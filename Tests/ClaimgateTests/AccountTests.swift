import Claimgate
import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

@Suite("Connected accounts")
struct AccountTests {
    /// Claims one database as Ada and returns the account id.
    func claim(_ app: RunningApp, reference: String = "user-1") async throws -> String {
        var browser = Browser(app)
        let json = try await app.provision(#"{"reference":"\#(reference)"}"#).json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let authorize = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(authorize)).status == 200)
        let accounts = try await app.client.get("/v1/accounts?reference=\(reference)", headers: sandboxKey).json()["data"] as? [[String: Any]]
        #expect(accounts?.count == 1)
        #expect((accounts?.first?["databaseIds"] as? [String]) == [json["id"] as? String ?? ""])
        return try #require(accounts?.first?["id"] as? String)
    }

    func accessToken(_ app: RunningApp, _ id: String) async throws -> TestClient.Reply {
        try await app.client.send("POST", "/v1/accounts/\(id)/access-token", headers: sandboxKey)
    }

    @Test("a claim keeps the user's grant; the partner gets a working access token, never the refresh token")
    func listAndUse() async throws {
        let app = try await RunningApp.start()
        let id = try await claim(app)
        let account = try #require(try await app.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [[String: Any]]).first
        let ada = app.emulator.configuration.users[0]
        #expect(account?["email"] as? String == ada.email)
        #expect(account?["workspaceId"] as? String == "wksp_" + ada.workspaces[0].id)
        #expect(account?["status"] as? String == "active")
        #expect(try await app.client.get("/v1/accounts?reference=nobody", headers: sandboxKey).json()["data"] as? [Any] != nil)
        let reply = try await accessToken(app, id)
        #expect(reply.status == 200)
        let token = try #require(try reply.json()["accessToken"] as? String)
        #expect(!reply.text.contains("rt_"))
        let me = try await app.application.prisma.management.me(token: Secret(token))
        #expect(me.user?.email == ada.email)
        #expect(app.emulator.callCount("POST /token") == 1)  // no refresh needed yet
        #expect(try await accessToken(app, "acct_unknown").status == 404)
        await app.stop()
    }

    @Test("20 concurrent requests for an expiring token → exactly one refresh; the new token works")
    func singleFlightRefresh() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let id = try await claim(app)
        let before = app.emulator.callCount("POST /token")
        clock.advance(by: 3600 - 30)  // expires within the minute
        let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
            for _ in 0..<20 { group.addTask { try await accessToken(app, id) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(app.emulator.callCount("POST /token") == before + 1)
        #expect(replies.allSatisfy { $0.status == 200 })
        let tokens = Set(try replies.map { try $0.json()["accessToken"] as? String ?? "" })
        #expect(tokens.count == 1)
        _ = try await app.application.prisma.management.me(token: Secret(tokens.first!))
        // Within its lifetime the new token is handed out without another refresh.
        #expect(try await accessToken(app, id).status == 200)
        #expect(app.emulator.callCount("POST /token") == before + 1)
        await app.stop()
    }

    @Test("refresh-token reuse revokes the grant: the account becomes needs_reauth, with a clear error and an event")
    func reuseRevocation() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let id = try await claim(app)
        // Someone else uses the user's refresh token first: Claimgate's copy is now a rotated-out one.
        let stolen = try #require(app.emulator.issuedTokens.first { $0.hasPrefix("rt_") })
        _ = try await app.application.prisma.oauth!.refresh(Secret(stolen))
        clock.advance(by: 3600)
        let reply = try await accessToken(app, id)
        #expect(reply.status == 409)
        #expect(try reply.json()["code"] as? String == "needs-reauth")
        let account = try #require(try await app.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [[String: Any]]).first
        #expect(account?["status"] as? String == "needs_reauth")
        #expect(try await app.events().contains { $0["type"] as? String == "account.needs_reauth" })
        // No further refresh is attempted for a revoked grant.
        let calls = app.emulator.callCount("POST /token")
        #expect(try await accessToken(app, id).status == 409)
        #expect(app.emulator.callCount("POST /token") == calls)
        await app.stop()
    }

    @Test("a refresh whose answer is lost: 503 now, needs_reauth next (the rotated token is gone), no loop")
    func lostRefreshAnswer() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(clock: clock)
        let id = try await claim(app)
        clock.advance(by: 3600)
        app.emulator.inject(Fault(route: "POST /token", drop: true, afterApply: true))
        let lost = try await accessToken(app, id)
        #expect(lost.status == 503)
        #expect(try lost.json()["code"] as? String == "upstream-unavailable")
        let next = try await accessToken(app, id)
        #expect(next.status == 409)
        #expect(try next.json()["code"] as? String == "needs-reauth")
        let calls = app.emulator.callCount("POST /token")
        #expect(try await accessToken(app, id).status == 409)
        #expect(app.emulator.callCount("POST /token") == calls)
        await app.stop()
    }

    @Test("DELETE forgets the grant; with token keeping off no grant is stored at all")
    func forgetAndOff() async throws {
        let app = try await RunningApp.start()
        let id = try await claim(app)
        #expect(try await app.client.send("DELETE", "/v1/accounts/\(id)", headers: sandboxKey).status == 204)
        #expect(try await app.client.send("DELETE", "/v1/accounts/\(id)", headers: sandboxKey).status == 404)
        #expect(try await accessToken(app, id).status == 404)
        await app.stop()

        let off = try await RunningApp.start(["CLAIMGATE_ACCOUNTS_KEEP_TOKENS": "false"])
        var browser = Browser(off)
        let (_, callback, databaseID) = try await browser.upToCallback()
        #expect(try await browser.callback(callback).status == 200)
        #expect(try await off.status(databaseID) == "claimed")
        #expect((try await off.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [Any])?.isEmpty == true)
        let path = off.application.settings.database.path
        await off.stop()
        var files = Data()
        for suffix in ["", "-wal", "-shm"] { files.append(FileManager.default.contents(atPath: path + suffix) ?? Data()) }
        for token in off.emulator.issuedTokens { #expect(files.range(of: Data(token.utf8)) == nil) }
    }
}

extension AccountTests {
    @Test("forgetting an account revokes the grant at Prisma first; its refresh token no longer works there")
    func deleteRevokesAtPrisma() async throws {
        try await withApp { app in
            var browser = Browser(app)
            let (_, callback, _) = try await browser.upToCallback()
            #expect(try await browser.callback(callback).status == 200)
            let account = try #require((try await app.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [[String: Any]])?.first)
            let id = try #require(account["id"] as? String)
            #expect(app.emulator.integrationRevocations.isEmpty)
            #expect(try await app.client.send("DELETE", "/v1/accounts/\(id)", headers: sandboxKey).status == 204)
            let revocation = try #require(app.emulator.integrationRevocations.first)
            #expect(revocation.workspaceID == account["workspaceId"] as? String)
            #expect(revocation.clientID == app.emulator.configuration.clients[0].id)
            #expect(try await app.client.send("DELETE", "/v1/accounts/\(id)", headers: sandboxKey).status == 404)
        }
    }

    @Test("with CLAIMGATE_ACCOUNTS_KEEP_TOKENS=false the sign-in asks for no offline_access")
    func noOfflineAccessWithoutKeeping() async throws {
        try await withApp(["CLAIMGATE_ACCOUNTS_KEEP_TOKENS": "false"]) { app in
            var browser = Browser(app)
            let claimURL = try #require(try await app.provision().json()["claimUrl"] as? String)
            let authorize = try #require(try await browser.start(claimURL))
            let scope = URLComponents(url: authorize, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "scope" }?.value
            #expect(scope == "workspace:admin")
            #expect(try await browser.callback(try await browser.consent(authorize)).status == 200)
        }
    }
}
