import Claimgate
import Foundation
import PrismaEmulator
import TestSupport
import Testing

@Suite("Claimgate's own OpenAPI document")
struct APIConformanceTests {
    static let spec = TestPaths.packageRoot.appendingPathComponent("openapi/claimgate.json").path

    @Test("it is served at /openapi.json")
    func served() async throws {
        let app = try await RunningApp.start()
        let reply = try await app.client.get("/openapi.json")
        #expect(reply.status == 200)
        let json = try reply.json()
        #expect(json["openapi"] as? String == "3.1.0")
        #expect((json["paths"] as? [String: Any])?["/v1/databases"] != nil)
        await app.stop()
    }

    @Test("every answer of every operation validates against it")
    func conformance() async throws {
        let app = try await RunningApp.start()
        let recorder = ConformanceRecorder()
        func record(_ method: String, _ template: String, _ path: String, body: String? = nil, headers: [String: String] = sandboxKey) async throws {
            var all = headers
            if body != nil { all["Content-Type"] = "application/json" }
            let reply = try await app.client.send(method, path, headers: all, body: body.map { Data($0.utf8) })
            try recorder.record(method: method, template: template, status: reply.status, body: reply.body)
        }
        try await record("POST", "/v1/databases", "/v1/databases", body: #"{"name":"a","metadata":{"k":[1,2]},"reference":"r"}"#)
        try await record("POST", "/v1/databases", "/v1/databases", body: "{}", headers: sandboxKey.merging(["Idempotency-Key": "c-1"]) { $1 })
        try await record("POST", "/v1/databases", "/v1/databases", body: "{}", headers: sandboxKey.merging(["Idempotency-Key": "c-1"]) { $1 })
        try await record("POST", "/v1/databases", "/v1/databases", body: #"{"name":"x"}"#, headers: sandboxKey.merging(["Idempotency-Key": "c-1"]) { $1 })
        try await record("POST", "/v1/databases", "/v1/databases", body: #"{"ttlSeconds":1}"#)
        try await record("POST", "/v1/databases", "/v1/databases", body: "{", headers: sandboxKey)
        try await record("POST", "/v1/databases", "/v1/databases", body: "{}", headers: [:])
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 403))
        try await record("POST", "/v1/databases", "/v1/databases", body: "{}")
        app.emulator.inject(Fault(route: "POST /v1/projects", status: 503, times: 10))
        try await record("POST", "/v1/databases", "/v1/databases", body: "{}")
        app.emulator.clearFaults()
        let id = try #require(try await app.provision().json()["id"] as? String)
        try await record("GET", "/v1/databases", "/v1/databases?limit=2")
        try await record("GET", "/v1/databases", "/v1/databases?status=nope")
        try await record("GET", "/v1/databases", "/v1/databases", headers: [:])
        try await record("GET", "/v1/databases/{id}", "/v1/databases/\(id)")
        try await record("GET", "/v1/databases/{id}", "/v1/databases/cgdb_unknown")
        try await record("GET", "/v1/databases/{id}/usage", "/v1/databases/\(id)/usage")
        try await record("GET", "/v1/databases/{id}/usage", "/v1/databases/cgdb_unknown/usage")
        try await record("DELETE", "/v1/databases/{id}", "/v1/databases/\(id)")
        try await record("DELETE", "/v1/databases/{id}", "/v1/databases/cgdb_unknown")
        try await record("GET", "/v1/regions", "/v1/regions")
        let other = try #require(try await app.provision().json()["id"] as? String)
        try await record("POST", "/v1/databases/{id}/extend", "/v1/databases/\(other)/extend", body: #"{"ttlSeconds":3600}"#)
        try await record("POST", "/v1/databases/{id}/extend", "/v1/databases/\(other)/extend", body: #"{"ttlSeconds":-1}"#)
        try await record("POST", "/v1/databases/{id}/extend", "/v1/databases/\(id)/extend", body: #"{"ttlSeconds":3600}"#)
        try await record("POST", "/v1/databases/{id}/claim-url", "/v1/databases/\(other)/claim-url")
        try await record("POST", "/v1/databases/{id}/claim-url", "/v1/databases/\(id)/claim-url")
        try await record("POST", "/v1/databases/{id}/claim-url", "/v1/databases/cgdb_unknown/claim-url")
        var browser = Browser(app)
        let (_, callback, _) = try await browser.upToCallback()
        _ = try await browser.callback(callback)
        try await record("GET", "/v1/events", "/v1/events")
        try await record("GET", "/v1/events", "/v1/events?after=evt_unknown")
        try await record("GET", "/v1/accounts", "/v1/accounts")
        let account = try #require((try await app.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [[String: Any]])?.first?["id"] as? String)
        try await record("POST", "/v1/accounts/{id}/access-token", "/v1/accounts/\(account)/access-token")
        try await record("POST", "/v1/accounts/{id}/access-token", "/v1/accounts/acct_unknown/access-token")
        try await record("DELETE", "/v1/accounts/{id}", "/v1/accounts/\(account)")
        try await record("DELETE", "/v1/accounts/{id}", "/v1/accounts/\(account)")
        try await record("GET", "/healthz", "/healthz", headers: [:])
        try await record("GET", "/readyz", "/readyz", headers: [:])
        #expect(recorder.statuses == [200, 201, 204, 400, 401, 404, 409, 422, 502, 503])
        let (status, output) = try await recorder.validate(against: APIConformanceTests.spec)
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(recorder.count) passed, 0 failed"), "\(output)")
        await app.stop()
    }
}
