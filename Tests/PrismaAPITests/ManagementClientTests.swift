import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

@Suite("Management API client against the emulator")
struct ManagementClientTests {
    @Test("create, find by logicalId, get, list with pagination, delete")
    func projectLifecycle() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let created = try await h.management.createProject(name: "demo", region: "eu-central-1", logicalId: "cg-abc", token: h.service)
        #expect(created.id.hasPrefix("proj_"))
        #expect(created.logicalId == "cg-abc")
        #expect(created.workspace.id == "wksp_" + h.emulator.configuration.partnerWorkspace.id)
        let database = try #require(created.database)
        #expect(database.id.hasPrefix("db_"))
        #expect(database.status == "ready")
        #expect(database.region.id == "eu-central-1")
        #expect(database.directConnectionString?.value.hasPrefix("postgres://") == true)
        #expect(database.pooledConnectionString?.value.contains("pooled") == true)
        #expect("\(database)".contains("postgres://") == false)  // secrets stay redacted when printed

        let found = try await h.management.findProject(logicalId: "cg-abc", token: h.service)
        #expect(found?.id == created.id)
        #expect(try await h.management.findProject(logicalId: "cg-missing", token: h.service) == nil)
        #expect(try await h.management.getProject(id: created.id, token: h.service).name == "demo")
        // Ids are accepted without their prefix too.
        #expect(try await h.management.getProject(id: String(created.id.dropFirst(5)), token: h.service).id == created.id)

        for index in 0..<4 { _ = try await h.management.createProject(name: "p\(index)", region: nil, logicalId: nil, token: h.service) }
        let first = try await h.management.listProjects(limit: 2, token: h.service)
        #expect(first.data.count == 2 && first.pagination.hasMore)
        let second = try await h.management.listProjects(cursor: first.pagination.nextCursor, limit: 10, token: h.service)
        #expect(second.data.count == 3 && !second.pagination.hasMore && second.pagination.nextCursor == nil)

        try await h.management.deleteProject(id: created.id, token: h.service)
        await #expect(throws: PrismaError.self) { try await h.management.getProject(id: created.id, token: h.service) }
        do {
            try await h.management.deleteProject(id: created.id, token: h.service)
            Issue.record("second delete succeeded")
        } catch {
            #expect(error.kind == .notFound && error.status == 404 && error.code == "resource-not-found")
        }
    }

    @Test("a project's databases can be listed and given new credentials")
    func databasesAndConnections() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let project = try await h.management.createProject(name: "creds", region: "us-west-1", logicalId: nil, token: h.service)
        let databases = try await h.management.listDatabases(projectID: project.id, token: h.service)
        #expect(databases.count == 1 && databases[0].isDefault && databases[0].id == project.database?.id)
        let connection = try await h.management.createConnection(databaseID: databases[0].id, name: "claimgate", token: h.service)
        #expect(connection.name == "claimgate")
        let fresh = try #require(connection.endpoints.direct?.connectionString)
        #expect(fresh.value.hasPrefix("postgres://"))
        #expect(fresh != project.database?.directConnectionString)
        await #expect(throws: PrismaError.self) {
            _ = try await h.management.createConnection(databaseID: "db_cnotthere000000000000000", name: "x-y-z", token: h.service)
        }
    }

    @Test("a duplicate logicalId in the workspace is a 409 conflict")
    func logicalIdConflict() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        _ = try await h.management.createProject(name: "a", region: nil, logicalId: "same", token: h.service)
        do {
            _ = try await h.management.createProject(name: "b", region: nil, logicalId: "same", token: h.service)
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.kind == .conflict)
            #expect(!error.isTransient && !error.mayHaveBeenApplied)
        }
        #expect(h.emulator.projects.count == 1)
    }

    @Test("bad tokens are 401; another workspace's project is 404")
    func isolation() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        do {
            _ = try await h.management.postgresRegions(token: "wrong-token")
            Issue.record("accepted a bad token")
        } catch {
            #expect(error.kind == .unauthorized && error.status == 401 && error.code == "authentication-failed")
        }
        let project = try await h.management.createProject(name: "mine", region: nil, logicalId: nil, token: h.service)
        let user = try await h.userTokens()
        do {
            _ = try await h.management.getProject(id: project.id, token: user.accessToken)
            Issue.record("user saw the partner's project")
        } catch {
            #expect(error.kind == .notFound)
        }
        #expect(try await h.management.listProjects(token: user.accessToken).data.isEmpty)
    }

    @Test("regions, me and workspaces for a service token and for a user")
    func principals() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let regions = try await h.management.postgresRegions(token: h.service)
        #expect(regions.map(\.id) == ["us-east-1", "us-west-1", "eu-west-3", "eu-central-1", "ap-northeast-1", "ap-southeast-1"])
        let partner = try await h.management.me(token: h.service)
        #expect(partner.user == nil && partner.credential.type == "service_token")
        #expect(partner.workspace?.id == "wksp_" + h.emulator.configuration.partnerWorkspace.id)
        let grace = h.emulator.configuration.users[1]
        let tokens = try await h.userTokens(user: 1, workspace: 1)
        let me = try await h.management.me(token: tokens.accessToken)
        #expect(me.user?.email == grace.email && me.user?.id == "usr_" + grace.id)
        #expect(me.workspace?.id == "wksp_" + grace.workspaces[1].id)
        #expect(me.credential.type == "oauth")
        let workspaces = try await h.management.workspaces(token: tokens.accessToken)
        #expect(workspaces.data.map(\.name) == [grace.workspaces[1].name])
    }

    @Test("transfer moves the project to the user's workspace; errors are typed")
    func transfer() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let project = try await h.management.createProject(name: "to-claim", region: nil, logicalId: "cg-t", token: h.service)
        let user = try await h.userTokens()
        do {
            try await h.management.transferProject(id: project.id, recipientAccessToken: "not-a-token", token: h.service)
            Issue.record("invalid recipient accepted")
        } catch {
            #expect(error.kind == .unauthorized)
        }
        try await h.management.transferProject(id: project.id, recipientAccessToken: user.accessToken, token: h.service)
        // The partner loses sight of it; the user now sees it in their workspace.
        do {
            _ = try await h.management.getProject(id: project.id, token: h.service)
            Issue.record("partner still sees it")
        } catch {
            #expect(error.kind == .notFound)
        }
        let moved = try await h.management.getProject(id: project.id, token: user.accessToken)
        #expect(moved.workspace.id == "wksp_" + h.emulator.configuration.users[0].workspaces[0].id)
        #expect(try await h.management.findProject(logicalId: "cg-t", token: h.service) == nil)
        // A second transfer by the partner: 404 (it no longer owns it).
        do {
            try await h.management.transferProject(id: project.id, recipientAccessToken: user.accessToken, token: h.service)
            Issue.record("second transfer succeeded")
        } catch {
            #expect(error.kind == .notFound)
        }
        // The owner transferring into its own workspace: 409.
        do {
            try await h.management.transferProject(id: project.id, recipientAccessToken: user.accessToken, token: user.accessToken)
            Issue.record("self-transfer succeeded")
        } catch {
            #expect(error.kind == .conflict && error.status == 409)
        }
        // An oversized body: 413 with the envelope.
        let big = Data(("{\"recipientAccessToken\":\"" + String(repeating: "x", count: 5000) + "\"}").utf8)
        let reply = try await h.http.send("POST", "/v1/projects/\(project.id)/transfer",
                                          headers: ["Authorization": "Bearer \(user.accessToken.value)", "Content-Type": "application/json"], body: big)
        #expect(reply.status == 413)
        #expect(try (reply.json()["error"] as? [String: Any])?["code"] as? String == "payload-too-large")
    }
}
