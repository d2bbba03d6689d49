import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

@Suite("Claim flow against a misbehaving Prisma")
struct ClaimFaultTests {
    @Test("token endpoint error: a clear page, the database stays claimable, a retry works")
    func tokenEndpointError() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (claimURL, callback, id) = try await browser.upToCallback()
        app.emulator.inject(Fault(route: "POST /token", status: 500))
        let reply = try await browser.callback(callback)
        #expect(reply.status == 502 && title(reply) == "The claim did not complete")
        #expect(!reply.text.contains("Injected fault"))  // never echo upstream bodies
        #expect(!reply.text.contains(claimURL.split(separator: "/").last.map(String.init) ?? "-"))  // no token in pages
        #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 0)
        #expect(try await app.status(id) == "ready")
        let again = try #require(try await browser.start(claimURL))
        #expect(try await browser.callback(try await browser.consent(again)).status == 200)
        #expect(try await app.status(id) == "claimed")
        await app.stop()
    }

    @Test("transfer 503 then success: one claim")
    func transferRetry() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (_, callback, id) = try await browser.upToCallback()
        app.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", status: 503))
        let reply = try await browser.callback(callback)
        #expect(reply.status == 200)
        #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 2)
        #expect(try await app.status(id) == "claimed")
        await app.stop()
    }

    @Test("transfer applied but answered 409 / dropped: ownership is checked, the claim succeeds once")
    func ambiguousTransfer() async throws {
        for fault in [Fault(route: "POST /v1/projects/:id/transfer", status: 409, afterApply: true),
                      Fault(route: "POST /v1/projects/:id/transfer", drop: true, afterApply: true)] {
            let app = try await RunningApp.start()
            var browser = Browser(app)
            let (_, callback, id) = try await browser.upToCallback()
            app.emulator.inject(fault)
            let reply = try await browser.callback(callback)
            #expect(reply.status == 200, "\(fault)")
            #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
            #expect(try await app.status(id) == "claimed")
            await app.stop()
        }
    }

    @Test("a real 409 (nothing moved): the page says what to do and the database stays claimable")
    func realConflict() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (claimURL, callback, id) = try await browser.upToCallback()
        app.emulator.inject(Fault(route: "POST /v1/projects/:id/transfer", status: 409))
        let reply = try await browser.callback(callback)
        #expect(reply.status == 502)
        #expect(reply.text.contains("pick another workspace"))  // a plan limit has its own page (planLimit)
        #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
        #expect(try await app.status(id) == "ready")
        #expect(try await app.client.get(Browser.local(claimURL)).status == 200)
        await app.stop()
    }

    @Test("50 concurrent replays of one valid callback → one token exchange, one transfer")
    func concurrentReplays() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (_, callback, id) = try await browser.upToCallback()
        let replies = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { [browser] in try await browser.callback(callback).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(replies.filter { $0 == 200 }.count == 1)
        #expect(replies.filter { $0 == 400 }.count == 49)
        #expect(app.emulator.callCount("POST /token") == 1)
        #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
        #expect(try await app.status(id) == "claimed")
        await app.stop()
    }

    @Test("two tabs (two sign-ins for one database) end with one transfer")
    func twoTabs() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let json = try await app.provision().json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let first = try await browser.consent(try #require(try await browser.start(claimURL)))
        let second = try await browser.consent(try #require(try await browser.start(claimURL)), user: 1)
        let tab = browser
        async let a = tab.callback(first)
        async let b = tab.callback(second)
        let statuses = try await [a.status, b.status].sorted()
        #expect(statuses[0] == 200 && statuses[1] == 409)
        #expect(app.emulator.callCount("POST /v1/projects/:id/transfer") == 1)
        #expect(try await app.status(json["id"] as? String ?? "") == "claimed")
        await app.stop()
    }

    @Test("canaries: no token, code, state, verifier, client secret or claim token in logs, pages or SQLite")
    func canaries() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (claimURL, callback, _) = try await browser.upToCallback()
        let done = try await browser.callback(callback)
        #expect(done.status == 200)
        let items = URLComponents(string: callback)!.queryItems!
        var canaries = [
            items.first { $0.name == "code" }!.value!, items.first { $0.name == "state" }!.value!,
            claimURL.components(separatedBy: "/claim/").last!, browser.cookie!,
            app.emulator.configuration.clients[0].secret, app.emulator.configuration.serviceToken,
        ]
        canaries += app.emulator.issuedTokens
        #expect(canaries.count >= 8)
        let path = app.application.settings.database.path
        await app.stop()
        let logs = app.logs.lines.joined()
        var files = Data()
        for suffix in ["", "-wal", "-shm"] { files.append(FileManager.default.contents(atPath: path + suffix) ?? Data()) }
        for canary in canaries {
            #expect(!logs.contains(canary), "a secret reached the logs")
            #expect(!done.text.contains(canary), "a secret reached the success page")
            #expect(files.range(of: Data(canary.utf8)) == nil, "a secret is in the database files")
        }
    }
}

extension ClaimFaultTests {
    @Test("without GET /v1/me the claim still completes: the workspace comes from GET /v1/workspaces")
    func noMeEndpoint() async throws {
        try await withApp { app in
            try app.emulator.updateBehaviour { $0.meAbsent = true }
            var browser = Browser(app)
            let (_, callback, id) = try await browser.upToCallback()
            #expect(try await browser.callback(callback).status == 200)
            #expect(try await app.status(id) == "claimed")
            #expect(app.emulator.callCount("GET /v1/me") >= 1)
            #expect(app.emulator.callCount("GET /v1/workspaces") >= 1)
            let ada = app.emulator.configuration.users[0]
            #expect(app.emulator.projects.first?.workspaceID == "wksp_" + ada.workspaces[0].id)
        }
    }
}

extension ClaimFaultTests {
    @Test("the chosen workspace is at its plan limit: a plain page with Prisma's upgrade link; the database stays claimable")
    func planLimit() async throws {
        try await withApp { app in
            let ada = app.emulator.configuration.users[0]
            let workspace = "wksp_" + ada.workspaces[0].id
            try app.emulator.updateBehaviour { $0.plans = [workspace: .init(name: "Free", projectLimit: 0, usageBlocked: false)] }
            var browser = Browser(app)
            let (claimURL, callback, id) = try await browser.upToCallback()
            let reply = try await browser.callback(callback)
            #expect(reply.status == 409 && title(reply) == "That workspace is at its plan limit")
            #expect(reply.text.contains("Free"))
            #expect(reply.text.contains("/upgrade/"))
            #expect(try await app.status(id) == "ready")
            try app.emulator.updateBehaviour { $0.plans = [:] }
            let again = try #require(try await browser.start(claimURL))
            #expect(try await browser.callback(try await browser.consent(again)).status == 200)
            #expect(try await app.status(id) == "claimed")
        }
    }
}
