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
}
