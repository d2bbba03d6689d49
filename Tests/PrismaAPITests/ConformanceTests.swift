import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

@Suite("Emulator conformance with Prisma's OpenAPI document")
struct ConformanceTests {
    /// Prisma's published document cut to the operations we use (see `scripts/prisma-openapi-subset`).
    static var specPath: String {
        TestPaths.packageRoot.appendingPathComponent("Tests/fixtures/prisma-openapi.json").path
    }

    @Test("every response of every emulated operation validates against openapi.json")
    func conformance() async throws {
        let h = try Harness.start()
        defer { Task { await h.emulator.stop() } }
        let recorder = ConformanceRecorder()
        func record(_ method: String, _ template: String, _ path: String, token: String?, body: String? = nil) async throws {
            var headers: [String: String] = [:]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            if body != nil { headers["Content-Type"] = "application/json" }
            let reply = try await h.http.send(method, path, headers: headers, body: body.map { Data($0.utf8) })
            try recorder.record(method: method, template: template, status: reply.status, body: reply.body)
        }
        let service = h.service.value
        let user = try await h.userTokens().accessToken.value
        try await record("POST", "/v1/projects", "/v1/projects", token: service, body: #"{"name":"c1","region":"eu-west-3","logicalId":"cg-1"}"#)
        try await record("POST", "/v1/projects", "/v1/projects", token: service, body: "{}")
        try await record("POST", "/v1/projects", "/v1/projects", token: "bad", body: "{}")
        let project = try #require(h.emulator.projects.first).id
        try await record("GET", "/v1/projects/{projectId}/databases", "/v1/projects/\(project)/databases", token: service)
        try await record("GET", "/v1/projects/{projectId}/databases", "/v1/projects/\(project)/databases", token: "bad")
        let databaseID = try #require(try await h.management.listDatabases(projectID: project, token: h.service).first).id
        try await record("POST", "/v1/databases/{databaseId}/connections", "/v1/databases/\(databaseID)/connections", token: service, body: #"{"name":"claimgate"}"#)
        try await record("POST", "/v1/databases/{databaseId}/connections", "/v1/databases/db_cnotthere000000000000000/connections", token: service, body: #"{"name":"claimgate"}"#)
        try await record("GET", "/v1/projects", "/v1/projects", token: service)
        try await record("GET", "/v1/projects", "/v1/projects?limit=1", token: service)
        try await record("GET", "/v1/projects", "/v1/projects?logicalId=cg-1", token: service)
        try await record("GET", "/v1/projects", "/v1/projects", token: nil)
        try await record("GET", "/v1/projects/{id}", "/v1/projects/\(project)", token: service)
        try await record("GET", "/v1/projects/{id}", "/v1/projects/proj_cnotthere00000000000000000", token: service)
        try await record("GET", "/v1/projects/{id}", "/v1/projects/\(project)", token: "bad")
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(project)/transfer", token: "bad", body: #"{"recipientAccessToken":"x"}"#)
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/proj_cnotthere00000000000000000/transfer", token: service, body: #"{"recipientAccessToken":"x"}"#)
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(project)/transfer", token: service,
                         body: "{\"recipientAccessToken\":\"" + String(repeating: "y", count: 5000) + "\"}")
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(project)/transfer", token: service, body: "{\"recipientAccessToken\":\"\(user)\"}")
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(project)/transfer", token: user, body: "{\"recipientAccessToken\":\"\(user)\"}")
        try await record("GET", "/v1/projects/{id}", "/v1/projects/\(project)", token: user)
        try await record("DELETE", "/v1/projects/{id}", "/v1/projects/\(project)", token: user)
        try await record("DELETE", "/v1/projects/{id}", "/v1/projects/\(project)", token: user)
        try await record("DELETE", "/v1/projects/{id}", "/v1/projects/\(project)", token: "bad")
        try await record("GET", "/v1/regions/postgres", "/v1/regions/postgres", token: service)
        try await record("GET", "/v1/regions/postgres", "/v1/regions/postgres", token: nil)
        try await record("GET", "/v1/me", "/v1/me", token: service)
        try await record("GET", "/v1/me", "/v1/me", token: user)
        try await record("GET", "/v1/me", "/v1/me", token: "bad")
        try await record("GET", "/v1/workspaces", "/v1/workspaces", token: service)
        try await record("GET", "/v1/workspaces", "/v1/workspaces", token: user)
        try await record("GET", "/v1/workspaces", "/v1/workspaces", token: nil)
        #expect(recorder.statuses == [200, 201, 204, 401, 404, 409, 413])
        let (status, output) = try await recorder.validate(against: ConformanceTests.specPath)
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(recorder.count) passed, 0 failed"), "\(output)")
    }

    @Test("every response of the real-Prisma behaviours and the newer operations validates against openapi.json")
    func behaviourConformance() async throws {
        var behaviour = EmulatorBehaviour()
        behaviour.provisioningDuration = .seconds(30)
        behaviour.acceptDuplicateLogicalIds = true
        behaviour.undeletableProjects = ["undeletable"]
        let grace = EmulatorConfiguration().users[1]
        behaviour.plans["wksp_" + grace.workspaces[1].id] = .init(name: "Free", projectLimit: 0, usageBlocked: true)
        let h = try Harness.start(behaviour: behaviour)
        defer { Task { await h.emulator.stop() } }
        let recorder = ConformanceRecorder()
        @discardableResult
        func send(_ method: String, _ path: String, token: String?, body: String? = nil) async throws -> TestClient.Reply {
            var headers: [String: String] = [:]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            if body != nil { headers["Content-Type"] = "application/json" }
            return try await h.http.send(method, path, headers: headers, body: body.map { Data($0.utf8) })
        }
        func record(_ method: String, _ template: String, _ path: String, token: String?, body: String? = nil) async throws {
            let reply = try await send(method, path, token: token, body: body)
            try recorder.record(method: method, template: template, status: reply.status, body: reply.body)
        }
        /// Answers Prisma does not document (429 on stable operations, 404 where /v1/me is
        /// missing): the status is checked here, and the body is validated as the operation's
        /// documented error envelope (its 401's schema), which is what clients parse.
        func recordUndocumented(_ method: String, _ template: String, _ path: String, token: String?, status: Int) async throws {
            let reply = try await send(method, path, token: token)
            #expect(reply.status == status, "\(method) \(path)")
            try recorder.record(method: method, template: template, status: 401, body: reply.body)
        }
        let service = h.service.value
        let labs = try await h.userTokens(user: 1, workspace: 1).accessToken.value
        let ada = try await h.userTokens(user: 0).accessToken.value
        let adaWorkspace = "wksp_" + h.emulator.configuration.users[0].workspaces[0].id
        let labsWorkspace = "wksp_" + grace.workspaces[1].id

        // Create while provisioning (twice with one logicalId), the database while provisioning.
        try await record("POST", "/v1/projects", "/v1/projects", token: service, body: #"{"name":"undeletable","logicalId":"cg-d"}"#)
        try await record("POST", "/v1/projects", "/v1/projects", token: service, body: #"{"name":"second","logicalId":"cg-d"}"#)
        let created = h.emulator.projects
        let project = created[0].id, second = created[1].id
        let databaseID = try #require(try await h.management.listDatabases(projectID: project, token: h.service).first).id
        try await record("GET", "/v1/projects/{projectId}/databases", "/v1/projects/\(project)/databases", token: service)
        try await record("GET", "/v1/databases/{databaseId}", "/v1/databases/\(databaseID)", token: service)
        try await record("GET", "/v1/databases/{databaseId}", "/v1/databases/db_cnotthere000000000000000", token: service)
        try await record("GET", "/v1/databases/{databaseId}", "/v1/databases/\(databaseID)", token: "bad")
        // Transfers refused: provisioning, then (once ready) a full workspace.
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(second)/transfer", token: service, body: "{\"recipientAccessToken\":\"\(ada)\"}")
        h.emulator.advanceClock(by: .seconds(31))
        try await record("GET", "/v1/databases/{databaseId}", "/v1/databases/\(databaseID)", token: service)
        try await record("POST", "/v1/projects/{id}/transfer", "/v1/projects/\(second)/transfer", token: service, body: "{\"recipientAccessToken\":\"\(labs)\"}")
        // Usage.
        try await record("GET", "/v1/databases/{databaseId}/usage", "/v1/databases/\(databaseID)/usage", token: service)
        try await record("GET", "/v1/databases/{databaseId}/usage", "/v1/databases/\(databaseID)/usage?startDate=2026-01-01T00:00:00Z&endDate=2026-01-31T00:00:00.000Z", token: service)
        try await record("GET", "/v1/databases/{databaseId}/usage", "/v1/databases/\(databaseID)/usage?endDate=soon", token: service)
        try await record("GET", "/v1/databases/{databaseId}/usage", "/v1/databases/db_cnotthere000000000000000/usage", token: service)
        try await record("GET", "/v1/databases/{databaseId}/usage", "/v1/databases/\(databaseID)/usage", token: "bad")
        // Connections: rotate, delete.
        let connection = try #require(try await h.management.getDatabase(id: databaseID, token: h.service).defaultConnectionId)
        try await record("POST", "/v1/connections/{id}/rotate", "/v1/connections/\(connection)/rotate", token: service)
        try await record("POST", "/v1/connections/{id}/rotate", "/v1/connections/con_cnotthere000000000000000/rotate", token: service)
        try await record("POST", "/v1/connections/{id}/rotate", "/v1/connections/\(connection)/rotate", token: "bad")
        try await record("DELETE", "/v1/connections/{id}", "/v1/connections/\(connection)", token: "bad")
        try await record("DELETE", "/v1/connections/{id}", "/v1/connections/\(connection)", token: service)
        try await record("DELETE", "/v1/connections/{id}", "/v1/connections/\(connection)", token: service)
        try await record("GET", "/v1/databases/{databaseId}", "/v1/databases/\(databaseID)", token: service)  // defaultConnectionId null
        // Deletion refused for dependencies.
        try await record("DELETE", "/v1/projects/{id}", "/v1/projects/\(project)", token: service)
        // Workspace and subscription.
        try await record("GET", "/v1/workspaces/{id}", "/v1/workspaces/\(h.partnerWorkspace)", token: service)
        try await record("GET", "/v1/workspaces/{id}", "/v1/workspaces/\(labsWorkspace)", token: service)
        try await record("GET", "/v1/workspaces/{id}", "/v1/workspaces/\(labsWorkspace)", token: "bad")
        try await record("GET", "/v1/workspaces/{id}/subscription", "/v1/workspaces/\(h.partnerWorkspace)/subscription", token: service)
        try await record("GET", "/v1/workspaces/{id}/subscription", "/v1/workspaces/\(labsWorkspace)/subscription", token: labs)
        try await record("GET", "/v1/workspaces/{id}/subscription", "/v1/workspaces/\(labsWorkspace)/subscription", token: service)
        try await record("GET", "/v1/workspaces/{id}/subscription", "/v1/workspaces/\(labsWorkspace)/subscription", token: nil)
        // Integration revocation.
        let revoke = "/v1/workspaces/{workspaceId}/integrations/{clientId}"
        try await record("DELETE", revoke, "/v1/workspaces/\(adaWorkspace)/integrations/sandbox-client", token: service)
        try await record("DELETE", revoke, "/v1/workspaces/\(adaWorkspace)/integrations/sandbox-client", token: ada)
        try await record("DELETE", revoke, "/v1/workspaces/\(adaWorkspace)/integrations/sandbox-client", token: ada)
        try await record("DELETE", revoke, "/v1/workspaces/\(labsWorkspace)/integrations/sandbox-client", token: labs)
        try await record("DELETE", revoke, "/v1/workspaces/\(labsWorkspace)/integrations/itgr_cnotaclient00000000000000", token: service)
        // Undocumented answers: /v1/me missing, and the rate limiter's 429.
        try h.emulator.updateBehaviour { $0.meAbsent = true }
        try await recordUndocumented("GET", "/v1/me", "/v1/me", token: service, status: 404)
        try await recordUndocumented("GET", "/v1/me", "/v1/me", token: "bad", status: 404)
        try h.emulator.updateBehaviour { $0.rateLimit = .init(requestsPerMinute: 1, burst: 1) }
        try await record("GET", "/v1/projects", "/v1/projects", token: service)
        try await recordUndocumented("GET", "/v1/projects", "/v1/projects", token: service, status: 429)
        try await recordUndocumented("POST", "/v1/projects", "/v1/projects", token: service, status: 429)

        #expect(recorder.statuses == [200, 201, 204, 400, 401, 404, 409])
        let (status, output) = try await recorder.validate(against: ConformanceTests.specPath)
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(recorder.count) passed, 0 failed"), "\(output)")
    }
}
