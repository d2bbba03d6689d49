import Claimgate
import Foundation
import PrismaAPI
import PrismaEmulator
import Secrets
import TestSupport
import Testing

@Suite("Orphan projects")
struct OrphanReconcilerTests {
    @Test("an orphan and a second project of a database are deleted; a foreign project and the database's own are not")
    func orphans() async throws {
        try await withApp(["CLAIMGATE_PROVISIONING_RECONCILE_GRACE_SECONDS": "0"]) { app in
            try app.emulator.updateBehaviour { $0.acceptDuplicateLogicalIds = true }
            let json = try await app.provision(#"{"name":"owned"}"#).json()
            let ownProject = try #require(json["projectId"] as? String)
            let logicalId = try #require(app.emulator.projects.first { $0.id == ownProject }?.logicalId)
            // Behind Claimgate's back, with the partner's service token.
            let management = app.application.prisma.management
            let token = app.application.prisma.serviceToken
            let orphan = try await management.createProject(name: "lost", region: nil, logicalId: "cg-" + String(repeating: "a", count: 24), token: token)
            let duplicate = try await management.createProject(name: "dup", region: nil, logicalId: logicalId, token: token)
            let foreign = try await management.createProject(name: "theirs", region: nil, logicalId: "other-app-42", token: token)
            let unnamed = try await management.createProject(name: "plain", region: nil, logicalId: nil, token: token)

            let dry = try await app.application.orphans.runOnce(dryRun: true)
            #expect(Set(dry.orphans.keys) == [orphan.id, duplicate.id])
            #expect(app.emulator.projects.count == 5)  // a dry run deletes nothing

            let report = try await app.application.orphans.runOnce()
            #expect(Set(report.orphans.keys) == [orphan.id, duplicate.id])
            let left = Set(app.emulator.projects.map(\.id))
            #expect(left == [ownProject, foreign.id, unnamed.id])
            #expect(try await app.status(json["id"] as? String ?? "") == "ready")
            let events = try await app.client.get("/v1/events", headers: sandboxKey).json()["data"] as? [[String: Any]] ?? []
            #expect(events.filter { $0["type"] as? String == "project.orphan_deleted" }.count == 2)
            #expect(try await app.application.orphans.runOnce().orphans.isEmpty)  // settled
            let metrics = try await app.client.get("/metrics").text
            #expect(metrics.contains("claimgate_orphan_projects_deleted_total 2"))
        }
    }

    @Test("within the grace period nothing is taken for an orphan")
    func grace() async throws {
        try await withApp(["CLAIMGATE_PROVISIONING_RECONCILE_GRACE_SECONDS": "3600"]) { app in
            let token = app.application.prisma.serviceToken
            _ = try await app.application.prisma.management.createProject(
                name: "young", region: nil, logicalId: "cg-" + String(repeating: "b", count: 24), token: token)
            #expect(try await app.application.orphans.runOnce().orphans.isEmpty)
            #expect(app.emulator.projects.count == 1)
        }
    }
}
