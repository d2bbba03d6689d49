@testable import Claimgate
import Foundation
import HTTPServer
import Logging
import Storage
import TestSupport
import Testing

/// `GET /v1/databases/{id}` answered on the polling thread (an inline SQLite read, or an answer
/// reused while nothing was written) must be the full path's answer in every respect.
@Suite("Database reads on the fast path")
struct InlineReadRouteTests {
    func created(_ app: RunningApp) async throws -> String {
        let reply = try await app.provision(#"{"name":"fast","metadata":{"n":1}}"#)
        #expect(reply.status == 201)
        return try #require(try reply.json()["id"] as? String)
    }

    @Test("the answer is the full path's, byte for byte, and is logged and counted like any other")
    func sameAnswer() async throws {
        try await withApp { app in
            let id = try await created(app)
            let headers = sandboxKey.merging(["X-Request-Id": "fast-read-1"]) { $1 }
            let wire = try await app.client.get("/v1/databases/\(id)", headers: headers)
            let again = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)  // reused, on SQLite
            let full = try await app.call("GET", "/v1/databases/\(id)", headers: HTTPHeaders(Array(sandboxKey.map { ($0.key, $0.value) })))
            #expect(wire.status == 200)
            #expect(wire.body == Data(full.body))
            #expect(again.body == wire.body)
            #expect(wire.header("Content-Type") == "application/json")
            #expect(wire.header("Cache-Control") == "no-store")
            #expect(wire.header("X-Request-Id") == "fast-read-1")
            let metrics = try await app.client.get("/metrics").text
            #expect(metrics.contains(#"claimgate_http_requests_total{method="GET",route="/v1/databases/:id",status="200"} 2"#))
            let line = try #require(app.logs.lines.first { $0.contains("fast-read-1") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["route"] as? String == "/v1/databases/:id")
            #expect(object["status"] as? String == "200")
            #expect(object["path"] as? String == "/v1/databases/\(id)")
        }
    }

    @Test("every write is seen by the very next read: extend twenty times, then delete")
    func readsFollowWrites() async throws {
        try await withApp { app in
            let id = try await created(app)
            var last = ""
            for step in 0..<20 {
                _ = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)  // warm whatever is reused
                let extended = try await app.client.send(
                    "POST", "/v1/databases/\(id)/extend", headers: sandboxKey, body: Data(#"{"ttlSeconds":\#(3600 + step * 60)}"#.utf8))
                #expect(extended.status == 200)
                let expected = try #require(try extended.json()["expiresAt"] as? String)
                let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
                #expect(try read.json()["expiresAt"] as? String == expected)
                #expect(expected != last)
                last = expected
            }
            #expect(try await app.client.send("DELETE", "/v1/databases/\(id)", headers: sandboxKey).status == 200)
            let read = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
            #expect(try read.json()["status"] as? String == "deleted")
        }
    }

    @Test("refusals and failures are the full path's: 401 with its detail, 404, signed calls, 503 on a failing disk")
    func refusals() async throws {
        try await withApp { app in
            let id = try await created(app)
            _ = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
            let wrong = try await app.client.get("/v1/databases/\(id)", headers: ["Authorization": "Bearer wrong-key-cccccccccccc"])
            #expect(wrong.status == 401)
            #expect(try wrong.json()["code"] as? String == "unauthorized")
            let missing = try await app.client.get("/v1/databases/cgdb_nothing", headers: sandboxKey)
            #expect(missing.status == 404)
            #expect(try missing.json()["code"] as? String == "database-not-found")
            let signed = try await app.client.get("/v1/databases/\(id)", headers: [
                "webhook-id": "msg_1", "webhook-timestamp": "\(Int(Date().timeIntervalSince1970))", "webhook-signature": "v1,AAAA",
            ])
            #expect(signed.status == 401)
            await app.application.database.injectFaults(1_000_000, code: 13)
            let failing = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
            await app.application.database.clearFaults()
            #expect(failing.status == 503)
            #expect(try failing.json()["code"] as? String == "storage-unavailable")
            #expect(try await app.client.get("/v1/databases/\(id)", headers: sandboxKey).status == 200)
        }
    }

    @Test("CLAIMGATE_READ_CACHE_SECONDS=0 reads every time, with the same answers")
    func reuseOff() async throws {
        try await withApp(["CLAIMGATE_READ_CACHE_SECONDS": "0"]) { app in
            let id = try await created(app)
            let first = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
            let second = try await app.client.get("/v1/databases/\(id)", headers: sandboxKey)
            #expect(first.status == 200)
            #expect(first.body == second.body)
        }
    }
}

@Suite("Reused reads")
struct RecentReadsTests {
    func database() async throws -> Database {
        let path = TestPaths.temporaryDirectory().appendingPathComponent("recent.sqlite").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let database = try Database(path: path)
        try await database.write { try $0.execute(script: "CREATE TABLE t (v INTEGER) STRICT") }
        return database
    }

    @Test("an answer is reused until the next write, and one read before a write is never stored as current")
    func invalidation() async throws {
        let database = try await database()
        let recent = RecentReads(database: database, maxAge: .seconds(60))
        let before = recent.changeCount
        recent.store([1], for: "a", readAfter: before)
        #expect(recent.body(for: "a") == [1])
        try await database.write { try $0.execute("INSERT INTO t (v) VALUES (1)") }
        #expect(recent.body(for: "a") == nil)
        // A read that started before that write finishes after it: its answer is not kept.
        recent.store([2], for: "a", readAfter: before)
        #expect(recent.body(for: "a") == nil)
        recent.store([3], for: "a", readAfter: recent.changeCount)
        #expect(recent.body(for: "a") == [3])
    }

    @Test("a zero age turns reuse off")
    func off() async throws {
        let off = RecentReads(database: try await database(), maxAge: .zero)
        off.store([1], for: "a", readAfter: off.changeCount)
        #expect(off.body(for: "a") == nil)
    }
}
