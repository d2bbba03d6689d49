import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

let sandboxKey = ["Authorization": "Bearer \(Application.sandboxAPIKey)"]

extension RunningApp {
    var emulator: PrismaEmulator { sandbox! }

    func provision(_ body: String = "{}", key: String? = nil, headers: [String: String] = sandboxKey) async throws -> TestClient.Reply {
        var all = headers
        all["Content-Type"] = "application/json"
        if let key { all["Idempotency-Key"] = key }
        return try await client.send("POST", "/v1/databases", headers: all, body: Data(body.utf8))
    }
}

@Suite("Partner provisioning API")
struct ProvisioningTests {
    @Test("create answers every field once; reads never show secrets")
    func createAndRead() async throws {
        let app = try await RunningApp.start()
        let reply = try await app.provision(#"{"name":"Ada's app","region":"eu-central-1","ttlSeconds":3600,"reference":"user-42","metadata":{"plan":"free"}}"#)
        #expect(reply.status == 201)
        let json = try reply.json()
        let id = try #require(json["id"] as? String)
        #expect(reply.header("Location") == "/v1/databases/\(id)")
        #expect(json["status"] as? String == "ready")
        #expect(json["name"] as? String == "Ada's app")
        #expect(json["region"] as? String == "eu-central-1")
        #expect(json["reference"] as? String == "user-42")
        #expect((json["metadata"] as? [String: Any])?["plan"] as? String == "free")
        #expect((json["projectId"] as? String)?.hasPrefix("proj_") == true)
        #expect((json["databaseId"] as? String)?.hasPrefix("db_") == true)
        #expect((json["connectionString"] as? String)?.hasPrefix("postgres://") == true)
        #expect((json["pooledConnectionString"] as? String)?.contains("pooled") == true)
        #expect((json["claimUrl"] as? String)?.hasPrefix(app.application.settings.publicURL + "/claim/") == true)
        let created = try #require(ISO8601DateFormatter.withMilliseconds.date(from: json["createdAt"] as? String ?? ""))
        let expires = try #require(ISO8601DateFormatter.withMilliseconds.date(from: json["expiresAt"] as? String ?? ""))
        #expect(abs(expires.timeIntervalSince(created) - 3600) < 1)

        let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
        #expect(read.status == 200)
        let readJSON = try read.json()
        #expect(readJSON["status"] as? String == "ready" && readJSON["projectId"] as? String == json["projectId"] as? String)
        #expect(readJSON["connectionString"] == nil && readJSON["claimUrl"] == nil)
        #expect(!read.text.contains("postgres://"))
        let missing = try await app.client.get("/v1/databases/cgdb_nothere", headers: sandboxKey)
        #expect(missing.status == 404)
        #expect(try missing.json()["code"] as? String == "database-not-found")
        await app.stop()
    }

    @Test("defaults: region and a 24 h TTL; the project is created in the partner's workspace")
    func defaults() async throws {
        let app = try await RunningApp.start()
        let json = try await app.provision().json()
        #expect(json["region"] as? String == "us-east-1")
        let created = ISO8601DateFormatter.withMilliseconds.date(from: json["createdAt"] as? String ?? "")!
        let expires = ISO8601DateFormatter.withMilliseconds.date(from: json["expiresAt"] as? String ?? "")!
        #expect(abs(expires.timeIntervalSince(created) - 86_400) < 1)
        let project = try #require(app.emulator.projects.first)
        #expect(project.workspaceID == "wksp_" + app.emulator.configuration.partnerWorkspace.id)
        #expect(project.logicalId?.hasPrefix("cg-") == true)
        await app.stop()
    }

    @Test("invalid bodies get 400 problems naming the field, and nothing is created", arguments: [
        (#"{"name":""}"#, "name"), ("{\"name\":\"" + String(repeating: "n", count: 101) + "\"}", "name"),
        (#"{"region":"mars-1"}"#, "region"), (#"{"ttlSeconds":10}"#, "ttlSeconds"), (#"{"ttlSeconds":"3600"}"#, "ttlSeconds"),
        (#"{"ttlSeconds":99999999}"#, "ttlSeconds"), (#"{"ttlSeconds":12.5}"#, "ttlSeconds"),
        ("{\"reference\":\"" + String(repeating: "r", count: 201) + "\"}", "reference"),
        (#"{"metadata":[1,2]}"#, "metadata"), ("{\"metadata\":{\"big\":\"" + String(repeating: "m", count: 4100) + "\"}}", "metadata"),
        (#"{"nmae":"typo"}"#, "nmae"),
    ])
    func validation(body: String, field: String) async throws {
        let app = try await RunningApp.start()
        let reply = try await app.provision(body)
        #expect(reply.status == 400)
        #expect(reply.header("Content-Type") == "application/problem+json")
        let problem = try reply.json()
        #expect(problem["code"] as? String == "validation-error")
        #expect(problem["field"] as? String == field)
        #expect(app.emulator.callCount("POST /v1/projects") == 0)
        await app.stop()
    }

    @Test("malformed JSON → 400 invalid-json")
    func malformed() async throws {
        let app = try await RunningApp.start()
        for body in ["{", "[]", "\"text\"", "{\"name\": }"] {
            let reply = try await app.provision(body)
            #expect(reply.status == 400)
            #expect(try reply.json()["code"] as? String == "invalid-json")
        }
        await app.stop()
    }

    @Test("no credentials, a wrong key, or a malformed header → 401 problem")
    func authentication() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_API_KEYS": "partner-key-aaaaaaaaaaaa,partner-key-bbbbbbbbbbbb"])
        for headers in [[:], ["Authorization": "Bearer wrong-key-cccccccccccc"], ["Authorization": "Basic eDp5"],
                        ["Authorization": "Bearer \(Application.sandboxAPIKey)"]] {
            let reply = try await app.provision(headers: headers)
            #expect(reply.status == 401)
            #expect(try reply.json()["code"] as? String == "unauthorized")
            #expect(reply.header("WWW-Authenticate") == "Bearer")
        }
        #expect(try await app.client.get("/v1/databases").status == 401)
        #expect(try await app.provision(headers: ["Authorization": "Bearer partner-key-bbbbbbbbbbbb"]).status == 201)
        #expect(app.emulator.callCount("POST /v1/projects") == 1)
        await app.stop()
    }

    @Test("list filters by status and reference and pages with a cursor")
    func listing() async throws {
        let app = try await RunningApp.start()
        for index in 0..<5 { _ = try await app.provision(#"{"reference":"\#(index % 2 == 0 ? "even" : "odd")"}"#) }
        var ids: [String] = []
        var cursor: String?
        repeat {
            let path = "/v1/databases?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await app.client.get(path, headers: sandboxKey).json()
            ids += (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            cursor = page["nextCursor"] as? String
            #expect((page["hasMore"] as? Bool) == (cursor != nil))
        } while cursor != nil
        #expect(ids.count == 5 && Set(ids).count == 5)
        let even = try await app.client.get("/v1/databases?reference=even&status=ready", headers: sandboxKey).json()
        #expect((even["data"] as? [Any])?.count == 3)
        let none = try await app.client.get("/v1/databases?status=claimed", headers: sandboxKey).json()
        #expect((none["data"] as? [Any])?.isEmpty == true)
        for bad in ["status=bogus", "limit=0", "limit=500", "cursor=%%%", "limit=1&limit=2"] {
            let reply = try await app.client.get("/v1/databases?\(bad)", headers: sandboxKey)
            #expect(reply.status == 400, "\(bad)")
            #expect(try reply.json()["code"] as? String == "invalid-query")
        }
        await app.stop()
    }

    @Test("GET /v1/regions lists Prisma's regions")
    func regions() async throws {
        let app = try await RunningApp.start()
        let reply = try await app.client.get("/v1/regions", headers: sandboxKey)
        #expect(reply.status == 200)
        let ids = (try reply.json()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(ids?.contains("eu-central-1") == true && ids?.count == 6)
        await app.stop()
    }
}

extension ISO8601DateFormatter {
    static var withMilliseconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}

@Suite("Usage")
struct UsageTests {
    @Test("GET /v1/databases/{id}/usage proxies Prisma's figures, cached for a minute; a claimed database has none")
    func usage() async throws {
        try await withApp { app in
            let json = try await app.provision().json()
            let id = try #require(json["id"] as? String)
            let prismaDatabase = try #require(json["databaseId"] as? String)
            app.emulator.setUsage(databaseID: prismaDatabase, operations: 1234, storageGiB: 0.5)
            let first = try await app.client.get("/v1/databases/\(id)/usage", headers: sandboxKey)
            #expect(first.status == 200)
            let metrics = try #require(try first.json()["metrics"] as? [String: Any])
            #expect((metrics["operations"] as? [String: Any])?["used"] as? Double == 1234)
            #expect(try await app.client.get("/v1/databases/\(id)/usage", headers: sandboxKey).status == 200)
            #expect(app.emulator.callCount("GET /v1/databases/:id/usage") == 1)  // the second came from the cache
            var browser = Browser(app)
            let (_, callback, claimed) = try await browser.upToCallback()
            #expect(try await browser.callback(callback).status == 200)
            let refused = try await app.client.get("/v1/databases/\(claimed)/usage", headers: sandboxKey)
            #expect(refused.status == 409)
            #expect(try refused.json()["code"] as? String == "no-usage")
        }
    }
}
