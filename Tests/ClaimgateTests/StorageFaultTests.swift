import Claimgate
import Foundation
import Storage
import TestSupport
import Testing

/// SQLite failing under every partner and browser operation: the answer is a clear 503, never a
/// 404/409/200 with a wrong state; the failure is logged with the request id and counted; and once
/// the fault clears everything works again, without a restart, with nothing acknowledged lost.
@Suite("Storage failures reach the caller")
struct StorageFaultTests {
    static let full: Int32 = 13    // SQLITE_FULL
    static let ioError: Int32 = 10 // SQLITE_IOERR

    /// Sends one request while every statement fails with `code`.
    func whileFailing(_ app: RunningApp, code: Int32, _ send: () async throws -> TestClient.Reply) async throws -> TestClient.Reply {
        await app.application.database.injectFaults(1_000_000, code: code)
        let reply: TestClient.Reply
        do { reply = try await send() } catch {
            await app.application.database.clearFaults()
            throw error
        }
        await app.application.database.clearFaults()
        return reply
    }

    func storageErrorsCounted(_ app: RunningApp) async throws -> Double {
        let text = try await app.client.get("/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("claimgate_storage_errors_total") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("every partner operation: 503 storage-unavailable with Retry-After, logged and counted; all fine after")
    func partnerOperations() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let (_, callback, claimedID) = try await browser.upToCallback()
        #expect(try await browser.callback(callback).status == 200)
        let account = try #require((try await app.client.get("/v1/accounts", headers: sandboxKey).json()["data"] as? [[String: Any]])?.first?["id"] as? String)
        let ready = try await app.provision(#"{"name":"kept"}"#, key: "acknowledged-1").json()
        let readyID = try #require(ready["id"] as? String)
        let projectsBefore = app.emulator.projects.count
        let countedBefore = try await storageErrorsCounted(app)

        let operations: [(method: String, path: String, body: String?)] = [
            ("POST", "/v1/databases", #"{"name":"during-fault"}"#),
            ("GET", "/v1/databases/\(readyID)", nil),
            ("GET", "/v1/databases", nil),
            ("DELETE", "/v1/databases/\(readyID)", nil),
            ("POST", "/v1/databases/\(readyID)/claim-url", nil),
            ("POST", "/v1/databases/\(readyID)/extend", #"{"ttlSeconds":600}"#),
            ("GET", "/v1/events", nil),
            ("GET", "/v1/accounts", nil),
            ("POST", "/v1/accounts/\(account)/access-token", nil),
            ("DELETE", "/v1/accounts/\(account)", nil),
        ]
        for (index, operation) in operations.enumerated() {
            let code = index.isMultiple(of: 2) ? Self.full : Self.ioError
            var headers = sandboxKey
            headers["Idempotency-Key"] = "fault-\(index)"
            let reply = try await whileFailing(app, code: code) {
                try await app.client.send(operation.method, operation.path, headers: headers, body: operation.body.map { Data($0.utf8) })
            }
            let label = "\(operation.method) \(operation.path) with SQLite error \(code)"
            #expect(reply.status == 503, "\(label): \(reply.text)")
            #expect(reply.header("Content-Type") == "application/problem+json", "\(label)")
            #expect(try reply.json()["code"] as? String == "storage-unavailable", "\(label)")
            #expect(reply.header("Retry-After") != nil, "\(label)")
            let requestID = try #require(reply.header("X-Request-Id"))
            #expect(app.logs.lines.contains { $0.contains("storage failure") && $0.contains(requestID) }, "\(label): no log line with the request id")
        }
        #expect(try await storageErrorsCounted(app) >= countedBefore + Double(operations.count))
        #expect(app.emulator.projects.count == projectsBefore)  // the failed create created nothing upstream

        // The fault is gone: no restart needed, and nothing acknowledged was lost or changed.
        let after = try await app.client.get("/v1/databases/\(readyID)", headers: sandboxKey)
        #expect(after.status == 200)
        #expect(try after.json()["status"] as? String == "ready")
        #expect(try await app.status(claimedID) == "claimed")
        let replay = try await app.provision(#"{"name":"kept"}"#, key: "acknowledged-1")
        #expect(replay.status == 201 && replay.header("Idempotent-Replayed") == "true")
        let replayed = try replay.json()["connectionString"] as? String
        #expect(replayed != nil && replayed == ready["connectionString"] as? String)
        #expect(try await app.client.send("POST", "/v1/accounts/\(account)/access-token", headers: sandboxKey).status == 200)
        #expect(try await app.client.send("POST", "/v1/databases/\(readyID)/extend", headers: sandboxKey, body: Data(#"{"ttlSeconds":600}"#.utf8)).status == 200)
        #expect(try await app.client.send("DELETE", "/v1/databases/\(readyID)", headers: sandboxKey).status == 200)
        #expect(try await app.provision(#"{"name":"after"}"#).status == 201)
        await app.stop()
    }

    @Test("claim page, claim start and callback: a 503 page, then the same sign-in completes")
    func browserOperations() async throws {
        let app = try await RunningApp.start()
        var browser = Browser(app)
        let json = try await app.provision().json()
        let claimURL = try #require(json["claimUrl"] as? String)
        let id = try #require(json["id"] as? String)
        let countedBefore = try await storageErrorsCounted(app)

        let page = try await whileFailing(app, code: Self.ioError) { try await app.client.get(Browser.local(claimURL)) }
        #expect(page.status == 503 && title(page) == "Claimgate is having trouble")
        #expect(page.header("Retry-After") != nil && page.header("Content-Security-Policy") != nil)
        let start = try await whileFailing(app, code: Self.full) {
            try await app.client.send("POST", Browser.local(claimURL))
        }
        #expect(start.status == 503 && start.header("Location") == nil)

        let authorize = try #require(try await browser.start(claimURL))
        let callback = try await browser.consent(authorize)
        let failed = try await whileFailing(app, code: Self.full) { try await browser.callback(callback) }
        #expect(failed.status == 503)
        #expect(app.emulator.callCount("POST /token") == 0)  // nothing sent to Prisma on a state we could not consume
        #expect(try await storageErrorsCounted(app) >= countedBefore + 3)
        let token = String(claimURL.split(separator: "/").last ?? "")
        #expect(!app.logs.lines.contains { $0.contains(token) })  // the claim token never reaches the log

        // The state was not consumed (the transaction rolled back): the same sign-in finishes now.
        #expect(try await browser.callback(callback).status == 200)
        #expect(try await app.status(id) == "claimed")
        await app.stop()
    }

    @Test("background passes count storage failures and finish the work once storage is back")
    func backgroundPasses() async throws {
        let clock = ManualClock()
        let app = try await RunningApp.start(["CLAIMGATE_PROVISIONING_DEFAULT_TTL_SECONDS": "3600"], clock: clock)
        let id = try #require(try await app.provision().json()["id"] as? String)
        clock.advance(by: 3601)
        await app.application.database.injectFaults(1_000_000, code: Self.ioError)
        let error = await #expect(throws: (any Error).self) { try await app.application.sweeper.runOnce() }
        #expect(error.map(StorageFaults.isStorageFailure) == true)
        await app.application.database.clearFaults()
        #expect(try await app.status(id) == "ready")  // not marked gone on a failed record
        #expect(try await app.application.sweeper.runOnce().expired == 1)
        #expect(try await app.status(id) == "expired")
        await app.stop()
    }
}
