import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

/// The client operations and emulator switches that imitate what the real Prisma does beyond its
/// published document (slow creates, late listings, provisioning, rate limits, plan limits, …).
@Suite("Surviving the real Prisma: client operations and emulator behaviours")
struct RealPrismaTests {
    // MARK: Timeouts and slow creates

    @Test("a create has its own timeout: a slow create succeeds where a read of that length would time out")
    func createTimeout() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.createLatency = .milliseconds(1500)
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let defaults = ManagementClient(baseURL: h.management.baseURL, transport: AsyncHTTPClientTransport(), userAgent: "t/1")
        #expect(defaults.timeout == .seconds(10) && defaults.createTimeout == .seconds(120))

        // 1 s for everything else, 5 s for creates: the 1.5 s create answers.
        let patient = h.client(timeout: .seconds(1), createTimeout: .seconds(5))
        let started = ContinuousClock.now
        let created = try await patient.createProject(name: "slow", region: nil, logicalId: "cg-slow", token: h.service)
        #expect(ContinuousClock.now - started >= .milliseconds(1500))
        #expect(created.logicalId == "cg-slow")

        // A create timeout shorter than the latency: an ambiguous failure, not retried, and the
        // project exists anyway (it existed from the moment the request arrived).
        let hasty = h.client(timeout: .seconds(5), createTimeout: .milliseconds(500),
                             retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5)))
        do {
            _ = try await hasty.createProject(name: "lost", region: nil, logicalId: "cg-lost", token: h.service)
            Issue.record("the create answered within 500 ms")
        } catch {
            #expect(error.kind == .timeout && error.mayHaveBeenApplied)
        }
        #expect(h.emulator.callCount("POST /v1/projects") == 2)
        #expect(h.emulator.projects.contains { $0.logicalId == "cg-lost" })
        #expect(try await hasty.findProject(logicalId: "cg-lost", token: h.service) != nil)
    }

    // MARK: Listings

    @Test("late list visibility: a new project is listed (and found by logicalId) only after the delay")
    func lateVisibility() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.listVisibilityDelay = .seconds(120)
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "late", region: nil, logicalId: "cg-late", token: h.service)
        #expect(try await h.management.findProject(logicalId: "cg-late", token: h.service) == nil)
        #expect(try await h.management.listProjects(token: h.service).data.isEmpty)
        // Reading it by id works at once; only listings lag.
        #expect(try await h.management.getProject(id: created.id, token: h.service).id == created.id)
        // Halfway (with a minute of margin for a loaded machine's real time), then past the delay.
        h.emulator.advanceClock(by: .seconds(60))
        #expect(try await h.management.findProject(logicalId: "cg-late", token: h.service) == nil)
        h.emulator.advanceClock(by: .seconds(61))
        #expect(try await h.management.findProject(logicalId: "cg-late", token: h.service)?.id == created.id)
    }

    @Test("the partner's projects can be walked page by page")
    func pageByPage() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        var created: [String] = []
        for index in 0..<7 {
            created.append(try await h.management.createProject(name: "p\(index)", region: nil, logicalId: nil, token: h.service).id)
        }
        var seen: [String] = [], cursor: String?, pages = 0
        repeat {
            let page = try await h.management.listProjects(cursor: cursor, limit: 3, token: h.service)
            seen += page.data.map(\.id)
            pages += 1
            cursor = page.pagination.hasMore ? page.pagination.nextCursor : nil
        } while cursor != nil
        #expect(pages == 3)
        #expect(seen == created)
    }

    @Test("duplicate logicalIds: 409 by default, accepted when switched on")
    func duplicateLogicalIds() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        _ = try await h.management.createProject(name: "a", region: nil, logicalId: "cg-dup", token: h.service)
        await #expect(throws: PrismaError.self) {
            _ = try await h.management.createProject(name: "b", region: nil, logicalId: "cg-dup", token: h.service)
        }
        try h.emulator.updateBehaviour { $0.acceptDuplicateLogicalIds = true }
        let second = try await h.management.createProject(name: "b", region: nil, logicalId: "cg-dup", token: h.service)
        #expect(h.emulator.projects.filter { $0.logicalId == "cg-dup" }.count == 2)
        let listed = try await h.management.listProjects(logicalId: "cg-dup", token: h.service).data
        #expect(listed.count == 2 && listed.contains { $0.id == second.id })
    }

    // MARK: Provisioning

    @Test("a database is provisioning for a while, then ready; its project cannot be transferred meanwhile")
    func provisioning() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.provisioningDuration = .seconds(20)
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "prov", region: "eu-west-3", logicalId: nil, token: h.service)
        let databaseID = try #require(created.database?.id)
        #expect(created.database?.status == "provisioning")
        let database = try await h.management.getDatabase(id: databaseID, token: h.service)
        #expect(database.status == "provisioning" && !database.isReady && !database.hasFailed)
        #expect(database.project?.id == created.id && database.region?.id == "eu-west-3")
        #expect(database.defaultConnectionId == created.database?.connections.first?.id)
        #expect(try await h.management.listDatabases(projectID: created.id, token: h.service).first?.status == "provisioning")

        let user = try await h.userTokens()
        do {
            try await h.management.transferProject(id: created.id, recipientAccessToken: user.accessToken, token: h.service)
            Issue.record("a provisioning project was transferred")
        } catch {
            #expect(error.kind == .conflict && error.status == 409 && !error.isPlanLimit)
            #expect(error.hint?.contains("provisioning") == true)
        }
        h.emulator.advanceClock(by: .seconds(21))
        #expect(try await h.management.getDatabase(id: databaseID, token: h.service).isReady)
        #expect(h.emulator.databaseStatus(databaseID) == "ready")
        try await h.management.transferProject(id: created.id, recipientAccessToken: user.accessToken, token: h.service)
        // The database moved with the project: the partner no longer sees it, the user does.
        await #expect(throws: PrismaError.self) { _ = try await h.management.getDatabase(id: databaseID, token: h.service) }
        #expect(try await h.management.getDatabase(id: databaseID, token: user.accessToken).isReady)
    }

    // MARK: Rate limit

    @Test("per-workspace rate limit: 429 with Retry-After, which the client waits out; other workspaces are not limited")
    func rateLimit() async throws {
        // One token every 3 s: a loaded machine's slowness between calls refills nothing that matters.
        var behaviour = EmulatorBehaviour()
        behaviour.rateLimit = .init(requestsPerMinute: 20, burst: 2)
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let user = try await h.userTokens()  // OAuth calls are not Management API calls: not limited
        // Every call succeeds: the client waits out each 429's Retry-After (at most 3 s here).
        var served = 0
        while h.emulator.rateLimitRecord(workspaceID: h.partnerWorkspace).rejected == 0 && served < 20 {
            _ = try await h.management.postgresRegions(token: h.service)
            served += 1
        }
        var record = h.emulator.rateLimitRecord(workspaceID: h.partnerWorkspace)
        #expect(record.rejected == 1 && record.retryAfterRespected && record.retryAfterUntil != nil)
        #expect(record.calls.count == served + 1 && h.emulator.callCount("GET /v1/regions/postgres") == served + 1)
        // The retry arrived after the window the 429 announced (whole seconds, at least 1).
        let gaps = zip(record.calls, record.calls.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(gaps.last ?? 0 >= 1)

        // The user's workspace has its own bucket.
        _ = try await h.management.me(token: user.accessToken)
        let userWorkspace = "wksp_" + h.emulator.configuration.users[0].workspaces[0].id
        #expect(h.emulator.rateLimitRecord(workspaceID: userWorkspace).rejected == 0)

        // A caller that ignores Retry-After is recorded.
        let auth = ["Authorization": "Bearer \(h.service.value)"]
        var reply = try await h.http.get("/v1/regions/postgres", headers: auth)
        while reply.status == 200 { reply = try await h.http.get("/v1/regions/postgres", headers: auth) }
        #expect(reply.status == 429)
        #expect(Int(reply.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try (reply.json()["error"] as? [String: Any])?["code"] as? String == "rate-limit-exceeded")
        #expect(try await h.http.get("/v1/regions/postgres", headers: auth).status == 429)
        record = h.emulator.rateLimitRecord(workspaceID: h.partnerWorkspace)
        #expect(!record.retryAfterRespected && record.callsInsideRetryAfter >= 1)
        #expect(record.calls == record.calls.sorted())

        // The bucket refills on the emulator's clock; switching the limit off lets everything through.
        h.emulator.advanceClock(by: .seconds(60))
        for _ in 0..<2 { #expect(try await h.http.get("/v1/regions/postgres", headers: auth).status == 200) }
        try h.emulator.updateBehaviour { $0.rateLimit = nil }
        for _ in 0..<10 { #expect(try await h.http.get("/v1/regions/postgres", headers: auth).status == 200) }
    }

    @Test("a create refused by the rate limit is retried after Retry-After and made once")
    func rateLimitedCreate() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.rateLimit = .init(requestsPerMinute: 20, burst: 1)  // a token every 3 s
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        _ = try await h.management.postgresRegions(token: h.service)
        let project = try await h.management.createProject(name: "after-429", region: nil, logicalId: "cg-429", token: h.service)
        #expect(project.logicalId == "cg-429")
        #expect(h.emulator.callCount("POST /v1/projects") == 2)
        #expect(h.emulator.projects.count == 1)
        #expect(h.emulator.rateLimitRecord(workspaceID: h.partnerWorkspace).retryAfterRespected)
    }

    // MARK: Deletion

    @Test("a project whose dependencies prevent deletion: 400, permanent, not retried")
    func undeletable() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.undeletableProjects = ["keep-me"]
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let kept = try await h.management.createProject(name: "keep-me", region: nil, logicalId: nil, token: h.service)
        let byLogicalID = try await h.management.createProject(name: "x", region: nil, logicalId: "cg-keep", token: h.service)
        let other = try await h.management.createProject(name: "other", region: nil, logicalId: nil, token: h.service)
        try h.emulator.updateBehaviour { $0.undeletableProjects.formUnion(["cg-keep", other.id]) }
        for project in [kept, byLogicalID, other] {
            do {
                try await h.management.deleteProject(id: project.id, token: h.service)
                Issue.record("deleted \(project.name)")
            } catch {
                #expect(error.kind == .invalidRequest && error.status == 400 && !error.isTransient && !error.mayHaveBeenApplied)
                #expect(error.message.contains("dependencies"))
            }
        }
        #expect(h.emulator.callCount("DELETE /v1/projects/:id") == 3)
        #expect(h.emulator.projects.count == 3)
        try h.emulator.updateBehaviour { $0.undeletableProjects = [] }
        try await h.management.deleteProject(id: kept.id, token: h.service)
        #expect(h.emulator.projects.count == 2)
    }

    // MARK: Connections

    @Test("rotating a connection kills the old connection string; deleting one kills its own; a transfer changes nothing")
    func rotateAndDelete() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "creds", region: nil, logicalId: nil, token: h.service)
        let database = try #require(created.database)
        let original = try #require(database.directConnectionString?.value)
        let pooled = try #require(database.pooledConnectionString?.value)
        let connectionID = try #require(database.connections.first?.id)
        #expect(h.emulator.acceptsConnectionString(original) && h.emulator.acceptsConnectionString(pooled))
        #expect(!h.emulator.acceptsConnectionString(original.replacingOccurrences(of: "@", with: "x@")))
        #expect(!h.emulator.acceptsConnectionString("postgres://nobody:nothing@db.sandbox.invalid:5432/postgres"))

        let rotated = try await h.management.rotateConnection(id: connectionID, token: h.service)
        #expect(rotated.id == connectionID)
        let fresh = try #require(rotated.endpoints.direct?.connectionString?.value)
        #expect(fresh != original)
        #expect(h.emulator.acceptsConnectionString(fresh))
        #expect(h.emulator.acceptsConnectionString(try #require(rotated.endpoints.pooled?.connectionString?.value)))
        #expect(!h.emulator.acceptsConnectionString(original) && !h.emulator.acceptsConnectionString(pooled))

        // A second connection, then the first deleted: only the second still works.
        let second = try await h.management.createConnection(databaseID: database.id, name: "claimgate-2", token: h.service)
        let secondString = try #require(second.endpoints.direct?.connectionString?.value)
        try await h.management.deleteConnection(id: connectionID, token: h.service)
        #expect(!h.emulator.acceptsConnectionString(fresh) && h.emulator.acceptsConnectionString(secondString))
        #expect(try await h.management.getDatabase(id: database.id, token: h.service).defaultConnectionId == nil)
        do {
            try await h.management.deleteConnection(id: connectionID, token: h.service)
            Issue.record("deleted twice")
        } catch {
            #expect(error.kind == .notFound)
        }
        await #expect(throws: PrismaError.self) { _ = try await h.management.rotateConnection(id: connectionID, token: h.service) }

        // A transfer moves the project but not the credentials: whoever held them still can connect.
        let user = try await h.userTokens()
        try await h.management.transferProject(id: created.id, recipientAccessToken: user.accessToken, token: h.service)
        #expect(h.emulator.acceptsConnectionString(secondString))
        // The partner can no longer rotate it; the new owner can.
        await #expect(throws: PrismaError.self) { _ = try await h.management.rotateConnection(id: second.id, token: h.service) }
        _ = try await h.management.rotateConnection(id: second.id, token: user.accessToken)
        #expect(!h.emulator.acceptsConnectionString(secondString))
        // Deleting the project kills every credential it had.
        let another = try await h.management.createProject(name: "gone", region: nil, logicalId: nil, token: h.service)
        let anotherString = try #require(another.database?.directConnectionString?.value)
        try await h.management.deleteProject(id: another.id, token: h.service)
        #expect(!h.emulator.acceptsConnectionString(anotherString))
    }

    @Test("rotate is a state change: not retried after a 5xx, retried after a 429; delete is retried")
    func connectionRetries() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "r", region: nil, logicalId: nil, token: h.service)
        let connectionID = try #require(created.database?.connections.first?.id)
        h.emulator.inject(Fault(route: "POST /v1/connections/:id/rotate", status: 500, afterApply: true))
        do {
            _ = try await h.management.rotateConnection(id: connectionID, token: h.service)
            Issue.record("rotate succeeded")
        } catch {
            #expect(error.kind == .server && error.mayHaveBeenApplied)
        }
        #expect(h.emulator.callCount("POST /v1/connections/:id/rotate") == 1)
        // Applied although the answer was lost: the old string is dead, so the caller rotates again.
        #expect(!h.emulator.acceptsConnectionString(try #require(created.database?.directConnectionString?.value)))
        h.emulator.inject(Fault(route: "POST /v1/connections/:id/rotate", status: 429, retryAfterSeconds: 0))
        _ = try await h.management.rotateConnection(id: connectionID, token: h.service)
        #expect(h.emulator.callCount("POST /v1/connections/:id/rotate") == 3)
        h.emulator.inject(Fault(route: "DELETE /v1/connections/:id", status: 503, times: 2))
        try await h.management.deleteConnection(id: connectionID, token: h.service)
        #expect(h.emulator.callCount("DELETE /v1/connections/:id") == 3)
    }

    // MARK: Integrations

    @Test("revoking the integration kills that client's grants in that workspace, and is recorded")
    func revokeIntegration() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let clientID = h.emulator.configuration.clients[0].id
        let ada = h.emulator.configuration.users[0]
        let adaWorkspace = "wksp_" + ada.workspaces[0].id
        let first = try await h.userTokens(user: 0)
        let second = try await h.userTokens(user: 0)
        let grace = try await h.userTokens(user: 1)

        // The partner's service token does not see Ada's workspace.
        do {
            try await h.management.revokeIntegration(workspaceID: adaWorkspace, clientID: clientID, token: h.service)
            Issue.record("the partner revoked in a workspace it cannot see")
        } catch {
            #expect(error.kind == .notFound)
        }
        try await h.management.revokeIntegration(workspaceID: adaWorkspace, clientID: clientID, token: first.accessToken)
        for tokens in [first, second] {
            await #expect(throws: PrismaError.self) { _ = try await h.management.me(token: tokens.accessToken) }
            do {
                _ = try await h.oauth.refresh(try #require(tokens.refreshToken))
                Issue.record("a revoked grant refreshed")
            } catch let error as PrismaError {
                #expect(error.oauthError == "invalid_grant")
            }
        }
        // Grace's grant, in another workspace, still works.
        #expect(try await h.management.me(token: grace.accessToken).user?.email == "grace@example.com")
        let calls = h.emulator.integrationRevocations
        #expect(calls.map(\.status) == [404, 204])
        #expect(calls.last?.workspaceID == adaWorkspace && calls.last?.clientID == clientID && calls.last?.revokedGrants == 2)
        #expect(h.emulator.callCount("DELETE /v1/workspaces/:workspaceId/integrations/:clientId") == 2)
    }

    @Test("a revocation whose answer was lost, retried with the revoked token (401), counts as done")
    func revokeIntegrationLostAnswer() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let user = try await h.userTokens(user: 1, workspace: 1)
        let workspace = "wksp_" + h.emulator.configuration.users[1].workspaces[1].id
        h.emulator.inject(Fault(route: "DELETE /v1/workspaces/:workspaceId/integrations/:clientId", status: 502, afterApply: true))
        try await h.management.revokeIntegration(workspaceID: workspace, clientID: "itgr_sandbox-client", token: user.accessToken)
        #expect(h.emulator.integrationRevocations.map(\.status) == [204, 401])
        // Without an ambiguous failure first, a 401 is an error as usual.
        do {
            try await h.management.revokeIntegration(workspaceID: workspace, clientID: "sandbox-client", token: user.accessToken)
            Issue.record("a revoked token was accepted")
        } catch {
            #expect(error.kind == .unauthorized)
        }
    }

    // MARK: /v1/me

    @Test("/v1/me absent: 404 for every token; the token's workspace is still found through /v1/workspaces")
    func meAbsent() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.meAbsent = true
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let user = try await h.userTokens(user: 1, workspace: 1)
        for token in [h.service, user.accessToken, Secret("not-a-token")] {
            do {
                _ = try await h.management.me(token: token)
                Issue.record("/v1/me answered")
            } catch {
                #expect(error.kind == .notFound && error.status == 404)
            }
        }
        #expect(try await h.management.currentWorkspace(token: user.accessToken).id == "wksp_" + h.emulator.configuration.users[1].workspaces[1].id)
        #expect(try await h.management.currentWorkspace(token: h.service).id == h.partnerWorkspace)
        try h.emulator.updateBehaviour { $0.meAbsent = false }
        #expect(try await h.management.currentWorkspace(token: user.accessToken).name == "Hopper Labs")
    }

    // MARK: Usage, workspace, subscription

    @Test("usage: plausible numbers for the current month, fixed numbers when set, dates honoured")
    func usage() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "u", region: nil, logicalId: nil, token: h.service)
        let databaseID = try #require(created.database?.id)
        h.emulator.advanceClock(by: .seconds(600))
        let usage = try await h.management.databaseUsage(databaseID: databaseID, token: h.service)
        #expect(usage.metrics.operations.unit == "ops" && usage.metrics.storage.unit == "GiB")
        #expect(usage.metrics.operations.used >= 10 && usage.metrics.operations.used <= 100)  // 1–10 ops a minute for 10 minutes
        #expect(usage.metrics.storage.used > 0 && usage.metrics.storage.used < 0.1)
        #expect(usage.period.start.hasSuffix("-01T00:00:00.000Z"))
        h.emulator.setUsage(databaseID: databaseID, operations: 12_345, storageGiB: 0.25)
        let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01
        let fixed = try await h.management.databaseUsage(
            databaseID: databaseID, startDate: start, endDate: start.addingTimeInterval(86_400), token: h.service)
        #expect(fixed.metrics.operations.used == 12_345 && fixed.metrics.storage.used == 0.25)
        #expect(fixed.period.start == "2026-01-01T00:00:00.000Z" && fixed.period.end == "2026-01-02T00:00:00.000Z")
        await #expect(throws: PrismaError.self) {
            _ = try await h.management.databaseUsage(databaseID: "db_cnotthere000000000000000", token: h.service)
        }
        let bad = try await h.http.get("/v1/databases/\(databaseID)/usage?startDate=yesterday",
                                       headers: ["Authorization": "Bearer \(h.service.value)"])
        #expect(bad.status == 400)
    }

    @Test("workspace and subscription; a plan limit refuses transfers into a full workspace with planLimitReached")
    func planLimit() async throws {
        let grace = EmulatorConfiguration().users[1]
        var behaviour = EmulatorBehaviour()
        behaviour.plans["wksp_" + grace.workspaces[1].id] = .init(name: "Free", projectLimit: 1)
        behaviour.defaultPlan = .init(name: "Pro")
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let labs = try await h.userTokens(user: 1, workspace: 1)
        let labsID = "wksp_" + grace.workspaces[1].id

        let workspace = try await h.management.workspace(id: labsID, token: labs.accessToken)
        #expect(workspace.id == labsID && workspace.name == "Hopper Labs")
        await #expect(throws: PrismaError.self) { _ = try await h.management.workspace(id: labsID, token: h.service) }
        #expect(try await h.management.workspace(id: h.partnerWorkspace, token: h.service).name == "Sandbox Partner")
        #expect(try await h.management.subscription(workspaceID: h.partnerWorkspace, token: h.service).planName == "Pro")
        let subscription = try await h.management.subscription(workspaceID: labsID, token: labs.accessToken)
        #expect(subscription.planName == "Free" && !subscription.usageBlocked)
        #expect(subscription.upgradeUrl == h.emulator.baseURL + "/upgrade/" + labsID)
        #expect(try await h.http.get("/upgrade/" + labsID).status == 200)

        let first = try await h.management.createProject(name: "one", region: nil, logicalId: nil, token: h.service)
        let second = try await h.management.createProject(name: "two", region: nil, logicalId: nil, token: h.service)
        try await h.management.transferProject(id: first.id, recipientAccessToken: labs.accessToken, token: h.service)
        do {
            try await h.management.transferProject(id: second.id, recipientAccessToken: labs.accessToken, token: h.service)
            Issue.record("transferred past the plan limit")
        } catch {
            #expect(error.kind == .conflict && error.status == 409 && error.isPlanLimit && !error.isTransient)
            #expect(error.message == "Workspace plan limit reached for feature \"Project\".")
            #expect(error.hint?.contains(subscription.upgradeUrl) == true)
        }
        #expect(h.emulator.projects.first { $0.id == second.id }?.workspaceID == h.partnerWorkspace)
        // Another workspace of the default plan takes it.
        let ada = try await h.userTokens(user: 0)
        try await h.management.transferProject(id: second.id, recipientAccessToken: ada.accessToken, token: h.service)
    }

    // MARK: Control API

    @Test("every switch can be read and set over HTTP; bad values are refused and change nothing")
    func controlAPI() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let initial = try await h.http.get("/__emulator/behaviour").json()
        #expect(initial["createLatencyMs"] as? Int == 0 && initial["meAbsent"] as? Bool == false)
        #expect(initial["rateLimit"] is NSNull)
        #expect((initial["defaultPlan"] as? [String: Any])?["name"] as? String == "Free")

        let body = #"{"createLatencyMs":250,"listVisibilityDelayMs":1000,"acceptDuplicateLogicalIds":true,"provisioningMs":3000,"#
            + #""rateLimit":{"requestsPerMinute":30},"undeletableProjects":["keep"],"meAbsent":true,"#
            + #""plans":{"wksp_cmsandboxgracews0000000002":{"name":"Free","projectLimit":0}}}"#
        let set = try await h.http.send("POST", "/__emulator/behaviour", body: Data(body.utf8))
        #expect(set.status == 200)
        var expected = EmulatorBehaviour()
        expected.createLatency = .milliseconds(250)
        expected.listVisibilityDelay = .seconds(1)
        expected.acceptDuplicateLogicalIds = true
        expected.provisioningDuration = .seconds(3)
        expected.rateLimit = .init(requestsPerMinute: 30, burst: 30)
        expected.undeletableProjects = ["keep"]
        expected.meAbsent = true
        expected.plans = ["wksp_cmsandboxgracews0000000002": .init(name: "Free", projectLimit: 0)]
        #expect(h.emulator.behaviour == expected)
        #expect(try set.json()["rateLimit"] as? [String: Int] == ["requestsPerMinute": 30, "burst": 30])

        // Partial: one key changes, the others stay; null turns the rate limit off.
        #expect(try await h.http.send("POST", "/__emulator/behaviour", body: Data(#"{"rateLimit":null,"meAbsent":false}"#.utf8)).status == 200)
        expected.rateLimit = nil
        expected.meAbsent = false
        #expect(h.emulator.behaviour == expected)
        for bad in [#"{"createLatencyMs":-1}"#, #"{"rateLimit":{"requestsPerMinute":0}}"#, #"{"createLatencyMs":"slow"}"#,
                    #"{"createLatencyMs":200000}"#, "[]", "not json"] {
            #expect(try await h.http.send("POST", "/__emulator/behaviour", body: Data(bad.utf8)).status == 400, "\(bad)")
        }
        #expect(h.emulator.behaviour == expected)
        #expect(throws: InvalidBehaviour.self) { try h.emulator.updateBehaviour { $0.provisioningDuration = .seconds(-1) } }
        #expect(h.emulator.behaviour == expected)

        // Connection check, usage, revocations and the rate-limit record over HTTP.
        try h.emulator.setBehaviour(EmulatorBehaviour())
        let created = try await h.management.createProject(name: "c", region: nil, logicalId: nil, token: h.service)
        let connection = try #require(created.database?.directConnectionString?.value)
        let check = try await h.http.send("POST", "/__emulator/connection-check",
                                          body: try JSONSerialization.data(withJSONObject: ["connectionString": connection]))
        #expect(try check.json()["valid"] as? Bool == true)
        let wrong = try await h.http.send("POST", "/__emulator/connection-check", body: Data(#"{"connectionString":"postgres://a:b@db.sandbox.invalid/x"}"#.utf8))
        #expect(try wrong.json()["valid"] as? Bool == false)
        #expect(try await h.http.send("POST", "/__emulator/connection-check", body: Data("{}".utf8)).status == 400)
        let databaseID = try #require(created.database?.id)
        let usage = #"{"databaseId":"\#(databaseID)","operations":7,"storageGiB":0.5}"#
        #expect(try await h.http.send("POST", "/__emulator/usage", body: Data(usage.utf8)).status == 204)
        #expect(try await h.management.databaseUsage(databaseID: databaseID, token: h.service).metrics.operations.used == 7)
        let user = try await h.userTokens()
        try await h.management.revokeIntegration(
            workspaceID: "wksp_" + h.emulator.configuration.users[0].workspaces[0].id, clientID: "sandbox-client", token: user.accessToken)
        let revocations = try await h.http.get("/__emulator/integration-revocations").json()["data"] as? [[String: Any]]
        #expect(revocations?.first?["status"] as? Int == 204 && revocations?.first?["revokedGrants"] as? Int == 1)
        let record = try await h.http.get("/__emulator/rate-limit").json()[h.partnerWorkspace] as? [String: Any]
        #expect((record?["calls"] as? [String])?.count == 2)
        #expect(record?["callsInsideRetryAfter"] as? Int == 0 && record?["retryAfterUntil"] is NSNull)
    }
}
