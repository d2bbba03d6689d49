import Claimgate
import Crypto
import Foundation
import HTTPServer
import PrismaEmulator
import TestSupport
import Testing

@Suite("Idempotency and signed calls")
struct IdempotencyTests {
    @Test("same key and body → the first answer again; another body → 422")
    func replay() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_API_KEYS": "\(Application.sandboxAPIKey),other-partner-key-0123"])
        let first = try await app.provision(#"{"name":"one"}"#, key: "order-1")
        #expect(first.status == 201)
        let again = try await app.provision(#"{"name":"one"}"#, key: "order-1")
        #expect(again.status == 201)
        #expect(again.body == first.body)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(first.header("Idempotent-Replayed") == nil)
        // The same JSON with other spacing and key order is the same request.
        #expect(try await app.provision(#"{ "name" : "one" }"#, key: "order-1").status == 201)
        let other = try await app.provision(#"{"name":"two"}"#, key: "order-1")
        #expect(other.status == 422)
        #expect(try other.json()["code"] as? String == "idempotency-key-reused")
        #expect(app.emulator.callCount("POST /v1/projects") == 1)
        #expect(try await app.provision(#"{"name":"one"}"#, key: "order-2").status == 201)
        #expect(app.emulator.callCount("POST /v1/projects") == 2)
        // Keys are scoped per API key: the same key under another API key is another request.
        let otherPartner = try await app.provision(#"{"name":"one"}"#, key: "order-1", headers: ["Authorization": "Bearer other-partner-key-0123"])
        #expect(otherPartner.status == 201 && otherPartner.header("Idempotent-Replayed") == nil)
        #expect(app.emulator.callCount("POST /v1/projects") == 3)
        for bad in [String(repeating: "k", count: 256), "has space", ""] {
            let reply = try await app.provision(key: bad)
            #expect(reply.status == 400, "\(bad)")
            #expect(try reply.json()["code"] as? String == "invalid-idempotency-key")
        }
        await app.stop()
    }

    @Test("20 concurrent requests with one key → exactly one upstream create")
    func concurrentDuplicates() async throws {
        let app = try await RunningApp.start()
        app.emulator.inject(Fault(route: "POST /v1/projects", latencyMs: 300))
        let replies = try await withThrowingTaskGroup(of: TestClient.Reply.self) { group in
            for _ in 0..<20 { group.addTask { try await app.provision(#"{"name":"dup"}"#, key: "same-key") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(app.emulator.callCount("POST /v1/projects") == 1)
        #expect(app.emulator.projects.count == 1)
        let created = replies.filter { $0.status == 201 }
        #expect(created.count >= 1)
        #expect(Set(created.map(\.body)).count == 1)
        for reply in replies where reply.status != 201 {
            #expect(reply.status == 409)
            #expect(try reply.json()["code"] as? String == "idempotency-key-in-flight")
            #expect(reply.header("Retry-After") == "1")
        }
        // Once finished, the same key replays.
        #expect(try await app.provision(#"{"name":"dup"}"#, key: "same-key").status == 201)
        await app.stop()
    }

    static let secret = "whsec_" + Data(repeating: 0x42, count: 24).base64EncodedString()

    func signed(_ body: String, id: String, timestamp: Int, secret: String = IdempotencyTests.secret) -> [String: String] {
        // An independent HMAC (swift-crypto directly), as a partner's sender would compute it.
        let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst(6)))!)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(body)".utf8), using: key)
        return ["webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": "v1,\(Data(mac).base64EncodedString())"]
    }

    @Test("Standard Webhooks signatures: valid, wrong secret, stale, replayed id")
    func webhookSignatures() async throws {
        let app = try await RunningApp.start(["CLAIMGATE_WEBHOOK_SECRET": IdempotencyTests.secret])
        let now = Int(Date().timeIntervalSince1970)
        let body = #"{"name":"from-webhook"}"#
        let valid = try await app.provision(body, headers: signed(body, id: "msg_1", timestamp: now))
        #expect(valid.status == 201)
        let replayed = try await app.provision(body, headers: signed(body, id: "msg_1", timestamp: now))
        #expect(replayed.status == 201 && replayed.body == valid.body && replayed.header("Idempotent-Replayed") == "true")
        #expect(app.emulator.callCount("POST /v1/projects") == 1)
        let wrongSecret = "whsec_" + Data(repeating: 0x43, count: 24).base64EncodedString()
        var cases: [[String: String]] = [
            signed(body, id: "msg_2", timestamp: now, secret: wrongSecret),
            signed(body, id: "msg_3", timestamp: now - 310),
            signed(body, id: "msg_4", timestamp: now + 310),
            signed(#"{"name":"tampered"}"#, id: "msg_5", timestamp: now),
        ]
        var noVersion = signed(body, id: "msg_6", timestamp: now)
        noVersion["webhook-signature"] = String(noVersion["webhook-signature"]!.dropFirst(3))
        cases.append(noVersion)
        var garbage = signed(body, id: "msg_7", timestamp: now)
        garbage["webhook-timestamp"] = "12.5"
        cases.append(garbage)
        for headers in cases {
            let reply = try await app.provision(body, headers: headers)
            #expect(reply.status == 401, "\(headers)")
            #expect(try reply.json()["code"] as? String == "unauthorized")
        }
        // Several signatures (secret rotation): one valid one is enough.
        var rotated = signed(body, id: "msg_8", timestamp: now)
        rotated["webhook-signature"] = "v1,AAAA " + rotated["webhook-signature"]!
        #expect(try await app.provision(body, headers: rotated).status == 201)
        #expect(app.emulator.callCount("POST /v1/projects") == 2)
        await app.stop()
    }

    @Test("the Standard Webhooks known-answer vector verifies")
    func knownAnswer() throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_614_265_330))
        let authenticator = try PartnerAuthenticator(
            apiKeys: [], webhookSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", clock: clock)
        var headers = HTTPHeaders()
        headers.add("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
        headers.add("webhook-timestamp", "1614265330")
        headers.add("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let request = HTTPRequest(method: "POST", path: "/v1/databases", headers: headers, body: Array(#"{"test": 2432232314}"#.utf8))
        let principal = try authenticator.authenticate(request)
        #expect(principal.webhookID == "msg_p5jXN8AQM9LWM0D4loKWxJek")
        var tampered = request
        tampered.body = Array(#"{"test": 2432232315}"#.utf8)
        #expect(throws: PartnerAuthenticator.Failure.badSignature) { try authenticator.authenticate(tampered) }
    }
}
