import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Storage
import Testing

@Suite("Provisioning against a misbehaving Prisma")
struct ProvisioningFaultTests {
    @Test("create fails with 500, then succeeds: one project, ready")
    func serverErrorThenSuccess() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_PROVISIONING_SETTLE_SECONDS": "0"])  // retry at once; the settle window has its own test
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 500))
        let reply = try await app.provision(key: "k-500")
        #expect(reply.status == 201)
        #expect(try reply.json()["status"] as? String == "ready")
        #expect(app.emulator.callCount("POST /v1/projects") == 2)
        #expect(app.emulator.callCount("GET /v1/projects") == 1)  // looked up before creating again
        #expect(app.emulator.projects.count == 1)
        await app.stop()
    }

    @Test("create succeeds upstream but the reply is lost: adopted, one project, fresh credentials")
    func lostReply() async throws {
        let app = try await RunningApp.start()
        app.emulator.inject(Fault(route: "POST /v1/projects", drop: true, afterApply: true))
        let reply = try await app.provision(#"{"name":"lost"}"#, key: "k-lost")
        #expect(reply.status == 201)
        let json = try reply.json()
        #expect(json["status"] as? String == "ready")
        #expect((json["connectionString"] as? String)?.hasPrefix("postgres://") == true)
        #expect(app.emulator.projects.count == 1)
        #expect(json["projectId"] as? String == app.emulator.projects.first?.id)
        #expect(app.emulator.callCount("POST /v1/databases/:id/connections") == 1)
        await app.stop()
    }

    @Test("Prisma down: 503 with the database id; a retry with the same key finishes it")
    func outageThenRetry() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_PROVISIONING_SETTLE_SECONDS": "0"])  // retry at once; the settle window has its own test
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 503, times: 100))
        let first = try await app.provision(#"{"name":"patient"}"#, key: "k-outage")
        #expect(first.status == 503)
        let problem = try first.json()
        #expect(problem["code"] as? String == "upstream-unavailable")
        #expect(first.header("Retry-After") == "5")
        let id = try #require(problem["databaseId"] as? String)
        #expect(try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()["status"] as? String == "provisioning")
        app.emulator.clearFaults()
        let second = try await app.provision(#"{"name":"patient"}"#, key: "k-outage")
        #expect(second.status == 201)
        #expect(try second.json()["id"] as? String == id)
        #expect(app.emulator.projects.count == 1)
        await app.stop()
    }

    @Test("Prisma refuses (403): 502 problem, the database is failed, the key replays the refusal")
    func definiteRefusal() async throws {
        let app = try await RunningApp.start()
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 403))
        let reply = try await app.provision(key: "k-403")
        #expect(reply.status == 502)
        let problem = try reply.json()
        #expect(problem["code"] as? String == "upstream-rejected")
        let id = try #require(problem["databaseId"] as? String)
        let record = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()
        #expect(record["status"] as? String == "failed")
        #expect((record["failureReason"] as? String)?.contains("injected-fault") == true)
        let again = try await app.provision(key: "k-403")
        #expect(again.status == 502 && again.header("Idempotent-Replayed") == "true")
        #expect(app.emulator.callCount("POST /v1/projects") == 1)
        await app.stop()
    }

    @Test("DELETE removes the unclaimed project upstream; repeatable; 503 when Prisma fails")
    func delete() async throws {
        let app = try await RunningApp.start()
        let id = try #require(try await app.provision().json()["id"] as? String)
        app.emulator.inject(Fault(route: "DELETE /v1/projects/:id", status: 500, times: 10))
        let failed = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
        #expect(failed.status == 503)
        #expect(try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).json()["status"] as? String == "ready")
        #expect(app.emulator.projects.count == 1)
        app.emulator.clearFaults()
        let deleted = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
        #expect(deleted.status == 200)
        #expect(try deleted.json()["status"] as? String == "deleted")
        #expect(app.emulator.projects.isEmpty)
        let again = try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey)
        #expect(again.status == 200)
        #expect(try await app.client.send("DELETE", "/v1/databases/cgdb_none", headers: sandboxKey).status == 404)
        await app.stop()
    }

    @Test("no plaintext password, connection string or claim token in the stored state (SQLite files, or every PostgreSQL row)")
    func nothingInPlaintext() async throws {
        let app = try await RunningApp.start()
        var secrets: [String] = []
        for index in 0..<3 {
            let json = try await app.provision(#"{"name":"secret-\#(index)"}"#, key: "k-secret-\(index)").json()
            let connection = try #require(json["connectionString"] as? String)
            let password = try #require(connection.split(separator: ":")[2].split(separator: "@").first)
            secrets += [String(password), connection, try #require((json["claimUrl"] as? String)?.components(separatedBy: "/claim/").last)]
        }
        // A replay must still work from the sealed copy.
        #expect(try await app.provision(#"{"name":"secret-0"}"#, key: "k-secret-0").text.contains(secrets[1]))
        let path = app.application.settings.database.path
        var bytes = Data()
        if app.application.database.kind == .postgres {
            // Every row of every table, as PostgreSQL prints it (bytea in hex, text as is).
            for table in ["databases", "idempotency_keys", "claim_links", "oauth_states", "accounts", "events"] {
                let rows = try await app.application.database.read { try $0.query("SELECT t::text AS row FROM \(table) t") }
                for row in rows { bytes.append(Data(try row.labelled(table).text("row").utf8)) }
            }
            #expect(bytes.count > 1_000)
        }
        await app.stop()
        if app.application.database.kind == .sqlite {
            for suffix in ["", "-wal", "-shm"] {
                if let data = FileManager.default.contents(atPath: path + suffix) { bytes.append(data) }
            }
            #expect(bytes.count > 10_000)
        }
        for secret in secrets {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "found a secret in the database files")
        }
    }
}
